import type { Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * A transaction one repository opened and others join (`within(tx)`): the agent hub's group commit
 * writes its receipts and the jobs' state changes of one batch of reports in one transaction. Opaque to
 * the domain packages: they pass it on, never query it.
 */
export type StoreTransaction = Transaction<Database>;
