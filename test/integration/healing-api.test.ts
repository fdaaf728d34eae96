import { describeHealingApiSuite } from './healing-api-suite.ts';

describeHealingApiSuite('SQLite', () => Promise.resolve(undefined));
