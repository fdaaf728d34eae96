import { describeAlertWrites } from '../integration/alert-writes-suite.ts';
import { createScratchDatabase } from '../support/postgres.ts';

describeAlertWrites('PostgreSQL', () => createScratchDatabase());
