import { createHash, randomBytes } from 'node:crypto';

/** Session tokens start `gns_`, API tokens `gnt_`, so a leaked one is recognisable in a scan. */
export function generateToken(kind: 'session' | 'api'): string {
  return `${kind === 'session' ? 'gns' : 'gnt'}_${randomBytes(32).toString('base64url')}`;
}

/** Tokens are random and long, so a fast hash is enough; only the hash is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
