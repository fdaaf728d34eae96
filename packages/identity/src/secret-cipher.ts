import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const VERSION = 'v1';

/**
 * AES-256-GCM with a random 96-bit nonce per value. The associated data binds a ciphertext to the place it
 * is stored (team/name/key), so a value copied to another secret does not decrypt.
 */
export class SecretCipher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
    this.#key = key;
  }

  encrypt(plaintext: string, associatedData: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  decrypt(sealed: string, associatedData: string): string {
    const [version, payload] = sealed.split(':');
    if (version !== VERSION || payload === undefined) throw new Error('unknown secret format');
    const raw = Buffer.from(payload, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/**
 * The key from `GANTRY_SECRET_KEY` (64 hex characters or 44 base64 characters) or from a key file, which is
 * created (mode 0600) on first start.
 */
export function loadSecretKey(options: { key?: string; keyFile: string }): Buffer {
  if (options.key) return parseKey(options.key);
  if (existsSync(options.keyFile)) return parseKey(readFileSync(options.keyFile, 'utf8').trim());
  mkdirSync(dirname(options.keyFile), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(options.keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

function parseKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32)
    throw new Error('GANTRY_SECRET_KEY must be 32 bytes, as 64 hex or 44 base64 characters');
  return key;
}
