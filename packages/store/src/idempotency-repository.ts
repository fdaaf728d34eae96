import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** A request sent with an `Idempotency-Key`, as a write carries it into its transaction (ADR 0029). */
export interface IdempotencyClaim {
  /** Who sent it: keys of different principals never meet. */
  principal: string;
  key: string;
  /** Names the request (method, path, body): the same key for another request is refused. */
  fingerprint: string;
  /** Milliseconds since the epoch. */
  now: number;
  /** How long the answer is kept for retries. */
  ttlMs: number;
}

/** The answer recorded for a key: status and body (JSON) as first sent. */
export interface IdempotentAnswer {
  status: number;
  body: string;
}

export type IdempotencyOutcome =
  { type: 'claimed' } | { type: 'replay'; answer: IdempotentAnswer } | { type: 'reused' };

/**
 * Claims `claim.key` inside the write's transaction, before the write. `claimed`: no live answer exists and
 * this transaction now holds the key (on PostgreSQL a concurrent request with the same key waits on the row
 * until this one commits or rolls back); `replay`: the same request was answered, here is its answer;
 * `reused`: the key answered another request.
 */
export async function claimIdempotencyKey(
  tx: Transaction<Database>,
  claim: IdempotencyClaim,
): Promise<IdempotencyOutcome> {
  await tx
    .deleteFrom('idempotency_keys')
    .where('principal', '=', claim.principal)
    .where('key', '=', claim.key)
    .where('expires_at', '<=', claim.now)
    .execute();
  const inserted = await tx
    .insertInto('idempotency_keys')
    .values({
      principal: claim.principal,
      key: claim.key,
      fingerprint: claim.fingerprint,
      status: 0,
      body: '',
      created_at: claim.now,
      expires_at: claim.now + claim.ttlMs,
    })
    .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { type: 'claimed' };
  const row = await tx
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'status', 'body'])
    .where('principal', '=', claim.principal)
    .where('key', '=', claim.key)
    .executeTakeFirstOrThrow();
  return outcomeOf(row, claim.fingerprint);
}

/** Records the answer of a write that claimed its key, in the same transaction. */
export async function recordIdempotentAnswer(
  tx: Transaction<Database>,
  claim: IdempotencyClaim,
  answer: IdempotentAnswer,
): Promise<void> {
  await tx
    .updateTable('idempotency_keys')
    .set({ status: answer.status, body: answer.body })
    .where('principal', '=', claim.principal)
    .where('key', '=', claim.key)
    .execute();
}

function outcomeOf(
  row: { fingerprint: string; status: number; body: string },
  fingerprint: string,
): IdempotencyOutcome {
  if (row.fingerprint !== fingerprint) return { type: 'reused' };
  return { type: 'replay', answer: { status: row.status, body: row.body } };
}

/** Reads and prunes recorded answers outside a write. */
export class IdempotencyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The committed answer for `claim.key`, if one is still kept: lets a retry be answered before any other
   * check runs. `undefined`: none, and the write claims the key in its transaction.
   */
  async find(claim: IdempotencyClaim): Promise<IdempotencyOutcome | undefined> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .select(['fingerprint', 'status', 'body'])
      .where('principal', '=', claim.principal)
      .where('key', '=', claim.key)
      .where('expires_at', '>', claim.now)
      .where('status', '>', 0)
      .executeTakeFirst();
    return row ? outcomeOf(row, claim.fingerprint) : undefined;
  }

  /** Deletes the answers whose time has passed; returns how many. */
  async prune(now: number): Promise<number> {
    const deleted = await this.db
      .deleteFrom('idempotency_keys')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}
