import { createScratchDatabase } from '../support/postgres.ts';
import { describeStoreSuite } from '../integration/store-suite.ts';

describeStoreSuite('PostgreSQL', async () => {
  const scratch = await createScratchDatabase();
  return { url: scratch.url, cleanup: scratch.drop };
});
