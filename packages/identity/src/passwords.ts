import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { COMMON_PASSWORDS } from './common-passwords.ts';

// scrypt with N=2^15, r=8, p=1: about 50 ms and 32 MiB per hash, OWASP's floor for interactive logins.
const PARAMS = { N: 32768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash`, base64 parts; the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A password someone can type: 20 characters from an unambiguous alphabet (about 110 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  return [...bytes].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export interface PasswordPolicyOptions {
  minLength: number;
  /** Refused passwords, in addition to the built-in list of common ones (compared in lower case). */
  denied: readonly string[];
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicyOptions = { minLength: 12, denied: [] };

const MAX_LENGTH = 1024;

/** The password rules: a minimum length, no common or denied password, not the user name, 4+ different characters. */
export class PasswordPolicy {
  readonly #denied: ReadonlySet<string>;

  constructor(private readonly options: PasswordPolicyOptions = DEFAULT_PASSWORD_POLICY) {
    this.#denied = new Set([...COMMON_PASSWORDS, ...options.denied].map((p) => p.toLowerCase()));
  }

  /** What is wrong with `password` for `username`, or undefined when it is acceptable. */
  problem(password: string, username?: string): string | undefined {
    if (password.length < this.options.minLength)
      return `must be at least ${this.options.minLength} characters long`;
    if (password.length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters long`;
    const lower = password.toLowerCase();
    const stem = lower.replace(/[\d\W_]+$/u, '');
    if (this.#denied.has(lower) || this.#denied.has(stem)) return 'is too common: choose another';
    if (username !== undefined && lower === username.toLowerCase()) return 'must not be the user name';
    if (new Set(password).size < 4) return 'must use at least 4 different characters';
    return undefined;
  }
}
