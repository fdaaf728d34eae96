import { Store } from '@gantry/store';
import { describeChangeJournalSuite } from './changes-journal-suite.ts';

describeChangeJournalSuite('SQLite', async () => {
  const store = await Store.open({ url: ':memory:' });
  return { a: store, b: store, close: () => store.close() };
});
