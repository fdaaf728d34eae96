import { describeAlertsSuite } from './alerts-suite.ts';

describeAlertsSuite('SQLite', () => Promise.resolve(undefined));
