import { Store } from '@gantry/store';
import { describeHealingRepositorySuite } from './healing-repository-suite.ts';

describeHealingRepositorySuite('SQLite', async () => {
  const store = await Store.open({ url: ':memory:' });
  return { a: store, b: store, close: () => store.close() };
});
