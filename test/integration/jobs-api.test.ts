import { jobsSuite } from './jobs-suite.ts';

jobsSuite('SQLite', () => undefined);
