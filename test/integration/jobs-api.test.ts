import { jobsSuite } from './jobs-suite.ts';

jobsSuite('SQLite', () => Promise.resolve(undefined));
