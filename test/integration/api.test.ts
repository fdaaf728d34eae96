import { describeApiSuite } from './api-suite.ts';

describeApiSuite('SQLite', () => Promise.resolve(undefined));
