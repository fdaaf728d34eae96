import type { Kysely, Transaction } from 'kysely';
import type { Dialect } from './dialect.ts';
import type { Database } from './schema.ts';

/**
 * The term a write belongs to: the holder of a lease and the lease row's `transitions` when its term began
 * (ADR 0028). `transitions` grows every time the lease changes hands, so `(holder, transitions)` names one
 * term of one holder; a holder that keeps renewing keeps its term.
 */
export interface WriteFence {
  lease: string;
  holder: string;
  transitions: number;
}

/**
 * A write refused because its term is no longer the lease's current one: another server took the lease
 * since. The write changed nothing; the writer's term is over and it must stop acting on it.
 */
export class FencedWriteRefused extends Error {
  override readonly name = 'FencedWriteRefused';
  constructor(
    readonly fence: WriteFence,
    /** Who holds the lease now (undefined when the row is gone, or was not read). */
    readonly current: { holder: string; transitions: number } | undefined,
    reason?: string,
  ) {
    super(
      `write refused: ${fence.lease} term ${fence.holder}#${fence.transitions} is over (${
        reason ?? (current ? `now ${current.holder}#${current.transitions}` : 'no lease')
      })`,
    );
  }
}

export function isFencedWriteRefused(error: unknown): error is FencedWriteRefused {
  return error instanceof FencedWriteRefused;
}

/**
 * Checks, inside a write transaction, that `fence` is still the lease's current term, and throws
 * `FencedWriteRefused` (rolling the transaction back) when it is not. On PostgreSQL the lease row is read
 * `FOR SHARE`: a take-over's `UPDATE` waits until this transaction ends, so no write of an old term can
 * commit after a new term began. SQLite has one writer, so the read in the same transaction is enough.
 * Cost: one primary-key read per fenced write transaction.
 */
export async function checkFence(
  tx: Transaction<Database> | Kysely<Database>,
  dialect: Dialect,
  fence: WriteFence,
): Promise<void> {
  const lease = await tx
    .selectFrom('leases')
    .select(['holder', 'transitions'])
    .where('name', '=', fence.lease)
    .$if(dialect === 'postgres', (q) => q.forShare())
    .executeTakeFirst();
  assertCurrent(fence, lease);
}

/** Throws unless the lease row read in the writing transaction names `fence`'s term. */
export function assertCurrent(
  fence: WriteFence,
  lease: { holder: string | null; transitions: number | null } | undefined,
): void {
  if (!lease || lease.holder !== fence.holder || lease.transitions !== fence.transitions)
    throw new FencedWriteRefused(
      fence,
      lease?.holder != null && lease.transitions != null
        ? { holder: lease.holder, transitions: lease.transitions }
        : undefined,
    );
}
