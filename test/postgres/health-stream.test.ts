import { describeHealthStream } from '../integration/health-stream-suite.ts';
import { createScratchDatabase } from '../support/postgres.ts';

describeHealthStream('PostgreSQL', () => createScratchDatabase());
