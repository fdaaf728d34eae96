import { afterAll } from 'vitest';
import { describeHealingApiSuite } from '../integration/healing-api-suite.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

let scratch: ScratchDatabase | undefined;
afterAll(() => scratch?.drop());

describeHealingApiSuite('PostgreSQL', async () => {
  scratch = await createScratchDatabase();
  return scratch.url;
});
