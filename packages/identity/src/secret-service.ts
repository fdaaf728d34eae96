import { InputError, NotFoundError, NAME_PATTERN } from '@gantry/model';
import type { AuditRepository, SecretRepository } from '@gantry/store';
import { authorize, readableTeams } from './access.ts';
import type { Caller } from './identity-service.ts';
import type { SecretCipher } from './secret-cipher.ts';

/** What a secret looks like from outside: key names and sizes, never values. */
export interface SecretSummary {
  team: string;
  name: string;
  keys: { key: string; bytes: number }[];
  createdAt: string;
  updatedAt: string;
}

const KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const MAX_VALUE_BYTES = 1024 * 1024;
/** Opened values kept, by sealed text: controllers reveal the same kubeconfigs many times a second. */
const OPENED_CAPACITY = 256;

/**
 * Kubeconfigs, channel tokens and the like, sealed with AES-256-GCM before they reach the database. Values
 * leave only through `reveal`, which is for controllers, never for an HTTP response, a log or the audit log.
 */
export class SecretService {
  /**
   * Sealed text → value, for values opened before. Every write seals with a fresh nonce, so a changed value
   * has a new sealed text and is never answered from here; the row is still read on every `reveal`.
   */
  readonly #opened = new Map<string, string>();

  constructor(
    private readonly secrets: SecretRepository,
    private readonly audit: AuditRepository,
    private readonly cipher: SecretCipher,
    private readonly now: () => number,
  ) {}

  async put(
    caller: Caller,
    team: string,
    name: string,
    data: Record<string, string>,
  ): Promise<SecretSummary> {
    authorize(caller.principal, 'write', team, `secrets of team ${team}`);
    if (!new RegExp(NAME_PATTERN).test(name))
      throw new InputError('invalid secret name', [{ path: '/name', message: `must match ${NAME_PATTERN}` }]);
    const problems = Object.entries(data).flatMap(([key, value]) =>
      !KEY.test(key)
        ? [{ path: `/data/${key}`, message: 'keys are letters, digits, "-", "_" and "."' }]
        : typeof value !== 'string'
          ? [{ path: `/data/${key}`, message: 'must be a string' }]
          : Buffer.byteLength(value) > MAX_VALUE_BYTES
            ? [{ path: `/data/${key}`, message: 'must be at most 1 MiB' }]
            : [],
    );
    if (problems.length > 0) throw new InputError('invalid secret data', problems);
    const sealed = Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, this.cipher.encrypt(value, `${team}/${name}/${key}`)]),
    );
    const now = new Date(this.now()).toISOString();
    const existed = await this.secrets.put(team, name, sealed, now);
    // The audit entry names the keys that were written, never their values.
    await this.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: existed ? 'update' : 'create',
      kind: 'Secret',
      team,
      name,
      after: { keys: Object.keys(data).sort() },
    });
    const record = (await this.secrets.get(team, name))!;
    const keys = Object.entries(data).map(([key, value]) => ({ key, bytes: Buffer.byteLength(value) }));
    return { team, name, keys, createdAt: record.createdAt, updatedAt: record.updatedAt };
  }

  async list(caller: Caller, team?: string): Promise<SecretSummary[]> {
    const teams = readableTeams(caller.principal);
    const scope = team !== undefined ? (teams && !teams.includes(team) ? [] : [team]) : teams;
    const records = await this.secrets.list(scope);
    return records.map((record) => ({
      team: record.team,
      name: record.name,
      keys: Object.entries(record.data).map(([key, sealed]) => ({
        key,
        bytes: Buffer.byteLength(this.cipher.decrypt(sealed, `${record.team}/${record.name}/${key}`)),
      })),
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    }));
  }

  async delete(caller: Caller, team: string, name: string): Promise<void> {
    authorize(caller.principal, 'write', team, `secrets of team ${team}`);
    if (!(await this.secrets.delete(team, name))) throw new NotFoundError(`secret ${team}/${name} not found`);
    await this.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: 'delete',
      kind: 'Secret',
      team,
      name,
    });
  }

  /** The plain values, for controllers only. */
  async reveal(team: string, name: string): Promise<Record<string, string>> {
    const record = await this.secrets.get(team, name);
    if (!record) throw new NotFoundError(`secret ${team}/${name} not found`);
    return Object.fromEntries(
      Object.entries(record.data).map(([key, sealed]) => [key, this.#open(sealed, `${team}/${name}/${key}`)]),
    );
  }

  #open(sealed: string, place: string): string {
    // The place is part of the key: a sealed value copied to another secret must still fail to open there.
    const id = `${place}\u0000${sealed}`;
    const known = this.#opened.get(id);
    if (known !== undefined) return known;
    const value = this.cipher.decrypt(sealed, place);
    if (this.#opened.size >= OPENED_CAPACITY) this.#opened.delete(this.#opened.keys().next().value!);
    this.#opened.set(id, value);
    return value;
  }
}
