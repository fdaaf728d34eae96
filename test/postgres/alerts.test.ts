import { afterAll } from 'vitest';
import { describeAlertsSuite } from '../integration/alerts-suite.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

let scratch: ScratchDatabase | undefined;
afterAll(() => scratch?.drop());

describeAlertsSuite('PostgreSQL', async () => {
  scratch = await createScratchDatabase();
  return scratch.url;
});
