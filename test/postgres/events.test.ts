import { afterAll } from 'vitest';
import { describeEventsSuite } from '../integration/events-suite.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

let scratch: ScratchDatabase | undefined;
afterAll(() => scratch?.drop());

describeEventsSuite('PostgreSQL', async () => {
  scratch = await createScratchDatabase();
  return scratch.url;
});
