import { createScratchDatabase } from '../support/postgres.ts';
import { describeCorrelationRepositorySuite } from '../integration/correlation-repository-suite.ts';

describeCorrelationRepositorySuite('PostgreSQL', async () => {
  const scratch = await createScratchDatabase();
  return { url: scratch.url, cleanup: scratch.drop };
});
