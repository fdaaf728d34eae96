import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';

/**
 * A create's optional `Idempotency-Key` (ADR 0029): a retry with the same key and request by the same user
 * is answered with the first create's result, for `GANTRY_IDEMPOTENCY_KEY_HOURS`.
 */
export const IdempotencyHeaders = Type.Object(
  {
    'idempotency-key': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: '^[\\x21-\\x7e]+$',
        description:
          'Makes a retried create safe: the same key and request answer the first create (201, `Idempotent-Replayed: true`) instead of creating again or 409; the same key with another request is 422 GANTRY_E_IDEMPOTENCY_KEY_REUSED. Printable ASCII, at most 255 characters.',
      }),
    ),
  },
  { additionalProperties: true },
);

/** Names a request for its idempotency key: method, path (without the query) and body. */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([method, url.split('?')[0] ?? url, canonical(body)]))
    .digest('hex');
}

/** `value` with every object's keys sorted, so that the same body in another key order is the same body. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  return value;
}
