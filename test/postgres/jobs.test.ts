import { afterAll } from 'vitest';
import { jobsSuite } from '../integration/jobs-suite.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

let scratch: ScratchDatabase | undefined;
afterAll(() => scratch?.drop());

jobsSuite('PostgreSQL', async () => {
  scratch = await createScratchDatabase();
  return scratch.url;
});
