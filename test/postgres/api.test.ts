import { afterAll } from 'vitest';
import { describeApiSuite } from '../integration/api-suite.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

let scratch: ScratchDatabase | undefined;
afterAll(() => scratch?.drop());

describeApiSuite('PostgreSQL', async () => {
  scratch = await createScratchDatabase();
  return scratch.url;
});
