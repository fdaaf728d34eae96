import { rmSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { KindInfo } from './kinds.ts';

// The kinds a server serves, kept on disk per server as kubectl keeps its discovery (~/.kube/cache), so
// that a command resolves `teams` without a `GET /api/kinds` first (ADR 0035). The server tags every API
// answer with a hash of its kinds (KINDS_TAG_HEADER): an answer whose tag is not the cache's drops the
// cache, and so does an unknown kind, the server refusing a kind's path, and age.

/** How long a cache is used without any sign that it changed (kubectl's discovery cache: 6 hours too). */
export const DISCOVERY_TTL_MS = 6 * 60 * 60_000;

export interface DiscoveryEntry {
  /** The server URL the kinds came from (a file name could be shared by two URLs). */
  server: string;
  /** When `GET /api/kinds` answered, in ms since the epoch. */
  fetchedAt: number;
  /** The answer's KINDS_TAG_HEADER; absent from a server that sends none. */
  tag?: string;
  kinds: KindInfo[];
}

/** `<config dir>/cache/discovery/<server>.json`: next to the config, so GANTRY_CONFIG moves both. */
export function discoveryCacheFile(configPath: string, server: string): string {
  const name = server.replace(/^[a-z]+:\/\//i, '').replace(/[^A-Za-z0-9.-]+/g, '_');
  return join(dirname(configPath), 'cache', 'discovery', `${name}.json`);
}

/** The cached kinds of `server` if the file holds them and they are younger than the TTL; else undefined. */
export async function readDiscoveryCache(
  file: string,
  server: string,
  now: number,
): Promise<DiscoveryEntry | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined; // missing, unreadable or not JSON: as if there were none
  }
  const entry = validEntry(raw);
  if (entry === undefined || entry.server !== server) return undefined;
  const age = now - entry.fetchedAt;
  return age >= 0 && age < DISCOVERY_TTL_MS ? entry : undefined;
}

/** Writes the entry whole (a temporary file renamed), so a concurrent call never reads half of it. */
export async function writeDiscoveryCache(file: string, entry: DiscoveryEntry): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(entry), { mode: 0o600 });
    await rename(temporary, file);
  } catch {
    // A read-only home only costs the next call a `GET /api/kinds`.
  }
}

/** Synchronous: a command that succeeds ends the process at once, and the next call must not use it. */
export function dropDiscoveryCache(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // Not removable: its age or the next mismatch ends it.
  }
}

function validEntry(raw: unknown): DiscoveryEntry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const entry = raw as Partial<DiscoveryEntry>;
  if (
    typeof entry.server !== 'string' ||
    typeof entry.fetchedAt !== 'number' ||
    (entry.tag !== undefined && typeof entry.tag !== 'string') ||
    !Array.isArray(entry.kinds) ||
    !entry.kinds.every(validKind)
  )
    return undefined;
  return entry as DiscoveryEntry;
}

function validKind(kind: unknown): boolean {
  if (typeof kind !== 'object' || kind === null) return false;
  const k = kind as Record<string, unknown>;
  return (
    ['kind', 'group', 'version', 'plural', 'singular'].every((key) => typeof k[key] === 'string') &&
    (k['scope'] === 'Team' || k['scope'] === 'Global') &&
    Array.isArray(k['shortNames']) &&
    k['shortNames'].every((name) => typeof name === 'string') &&
    Array.isArray(k['printerColumns']) &&
    k['printerColumns'].every(
      (column: unknown) =>
        typeof column === 'object' &&
        column !== null &&
        typeof (column as Record<string, unknown>)['name'] === 'string' &&
        typeof (column as Record<string, unknown>)['jsonPath'] === 'string',
    )
  );
}
