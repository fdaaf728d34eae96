import { Store } from '@gantry/store';
import { describeHealingRepositorySuite } from '../integration/healing-repository-suite.ts';
import { createScratchDatabase } from '../support/postgres.ts';

// Two stores on one database: two servers, each with its own pool.
describeHealingRepositorySuite('PostgreSQL', async () => {
  const scratch = await createScratchDatabase();
  const a = await Store.open({ url: scratch.url });
  const b = await Store.open({ url: scratch.url });
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      await scratch.drop();
    },
  };
});
