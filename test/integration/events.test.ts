import { describeEventsSuite } from './events-suite.ts';

describeEventsSuite('SQLite', () => Promise.resolve(undefined));
