import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A token made of a public id and a secret, `<id>.<secret>` (kubeadm's shape); only the hash is stored. */
export interface SplitToken {
  id: string;
  secret: string;
}

/** A new `<prefix><16 hex>.<43 base64url>` token. */
export function newToken(prefix: string): SplitToken & { token: string } {
  const id = `${prefix}${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `${id}.${secret}` };
}

export function splitToken(token: string): SplitToken | undefined {
  const match = /^([a-z]{2}[0-9a-f]{16})\.([A-Za-z0-9_-]{20,100})$/.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** SHA-256 of a secret with 256 random bits: no slow hash needed, nothing to guess. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, hash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(hash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
