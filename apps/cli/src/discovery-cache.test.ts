import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { get } from './commands/get.ts';
import { serializeConfig } from './config.ts';
import {
  DISCOVERY_TTL_MS,
  discoveryCacheFile,
  readDiscoveryCache,
  writeDiscoveryCache,
  type DiscoveryEntry,
} from './discovery-cache.ts';
import type { CommandEnv } from './io.ts';
import type { KindInfo } from './kinds.ts';
import { openSession } from './session.ts';

const served = (kind: string, plural: string, shortNames: string[] = []) => ({
  kind,
  apiVersion: 'gantry.dev/v1alpha1',
  plural,
  singular: kind.toLowerCase(),
  shortNames,
  scope: 'Global' as const,
  description: '',
  printerColumns: [],
});

/** A server with kinds that a test changes, counting `GET /api/kinds`; every answer carries their tag. */
class FakeServer {
  kinds = [served('Team', 'teams')];
  tag = '"one"';
  kindRequests = 0;
  readonly paths: string[] = [];
  readonly #server = http.createServer((request, response) => {
    const path = request.url ?? '';
    this.paths.push(path);
    response.setHeader('gantry-kinds', this.tag);
    response.setHeader('content-type', 'application/json');
    if (path.startsWith('/api/kinds')) {
      this.kindRequests++;
      response.end(JSON.stringify({ items: this.kinds }));
      return;
    }
    const plural = /^\/apis\/gantry\.dev\/v1alpha1\/([a-z]+)/.exec(path)?.[1];
    if (plural !== undefined && this.kinds.some((kind) => kind.plural === plural)) {
      response.end(
        JSON.stringify({ apiVersion: 'gantry.dev/v1alpha1', kind: 'List', metadata: {}, items: [] }),
      );
      return;
    }
    response.statusCode = 400;
    response.end(
      JSON.stringify({ code: 'GANTRY_E_UNKNOWN_KIND', message: `unknown kind "${plural}"`, details: [] }),
    );
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const kind = (name: string): KindInfo => ({
  kind: name,
  group: 'gantry.dev',
  version: 'v1alpha1',
  plural: `${name.toLowerCase()}s`,
  singular: name.toLowerCase(),
  shortNames: [],
  scope: 'Global',
  printerColumns: [],
});

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'gantry-discovery-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('discovery cache file', () => {
  const server = 'https://gantry.example.com:7420';

  it('lives next to the config, one file per server', () => {
    expect(discoveryCacheFile('/home/u/.gantry/config', server)).toBe(
      '/home/u/.gantry/cache/discovery/gantry.example.com_7420.json',
    );
    expect(discoveryCacheFile('/c/config', 'http://127.0.0.1:1')).not.toBe(
      discoveryCacheFile('/c/config', 'http://127.0.0.1:2'),
    );
  });

  it('reads back what was written, until the TTL has passed', async () => {
    const file = discoveryCacheFile(join(home, 'config'), server);
    const entry: DiscoveryEntry = { server, fetchedAt: 1_000, tag: '"t"', kinds: [kind('Team')] };
    await writeDiscoveryCache(file, entry);
    expect(await readDiscoveryCache(file, server, 1_000 + DISCOVERY_TTL_MS - 1)).toEqual(entry);
    expect(await readDiscoveryCache(file, server, 1_000 + DISCOVERY_TTL_MS)).toBeUndefined();
    // A clock set back: not trusted.
    expect(await readDiscoveryCache(file, server, 999)).toBeUndefined();
  });

  it('is not used for another server that maps to the same file', async () => {
    const file = discoveryCacheFile(join(home, 'config'), server);
    await writeDiscoveryCache(file, { server, fetchedAt: 1_000, kinds: [kind('Team')] });
    expect(await readDiscoveryCache(file, 'http://gantry.example.com:7420', 1_000)).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"server": "https://gantry.exa'],
    ['not an object', '[]'],
    ['no kinds', JSON.stringify({ server, fetchedAt: 1_000 })],
    ['a kind without a plural', JSON.stringify({ server, fetchedAt: 1_000, kinds: [{ kind: 'Team' }] })],
    [
      'a scope that is not one',
      JSON.stringify({ server, fetchedAt: 1_000, kinds: [{ ...kind('Team'), scope: 'Cluster' }] }),
    ],
  ])('ignores a corrupted file (%s)', async (_case, text) => {
    const file = discoveryCacheFile(join(home, 'config'), server);
    await mkdir(dirname(file), { recursive: true });
    writeFileSync(file, text);
    expect(await readDiscoveryCache(file, server, 1_000)).toBeUndefined();
  });
});

describe('a session with the discovery cache', () => {
  const fake = new FakeServer();
  let url: string;
  let now: Date;
  beforeAll(async () => {
    url = await fake.listen();
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    fake.kinds = [served('Team', 'teams')];
    fake.tag = '"one"';
    fake.kindRequests = 0;
    fake.paths.length = 0;
    now = new Date('2026-12-03T12:00:00Z');
    writeFileSync(
      join(home, 'config'),
      await serializeConfig({ contexts: [{ name: 'c', server: url, token: 't' }], currentContext: 'c' }),
    );
  });

  const out: string[] = [];
  const env = (): CommandEnv => ({
    io: {
      out: (text) => void out.push(text),
      err: (text) => void out.push(text),
      readStdin: () => Promise.resolve(''),
      now: () => now,
    },
    configPath: join(home, 'config'),
    contextName: undefined,
  });
  const cacheFile = (): string => discoveryCacheFile(join(home, 'config'), url);

  it('asks the server once, then resolves from the cache without a request for the kinds', async () => {
    await (await openSession(env())).resolveKind('teams');
    expect(fake.kindRequests).toBe(1);
    const cached = JSON.parse(readFileSync(cacheFile(), 'utf8')) as DiscoveryEntry;
    expect(cached).toMatchObject({ server: url, tag: '"one"', fetchedAt: now.getTime() });

    const second = await openSession(env());
    expect((await second.resolveKind('team')).plural).toBe('teams');
    expect(fake.kindRequests).toBe(1);
    await get(env(), 'teams', [], {});
    expect(fake.kindRequests).toBe(1);
    expect(fake.paths.at(-1)).toMatch(/^\/apis\/gantry\.dev\/v1alpha1\/teams\?/);
  });

  it('asks again once the TTL has passed', async () => {
    await (await openSession(env())).resolveKind('teams');
    now = new Date(now.getTime() + DISCOVERY_TTL_MS);
    await (await openSession(env())).resolveKind('teams');
    expect(fake.kindRequests).toBe(2);
  });

  it('asks the server for a kind the cache does not know, and keeps what it answered', async () => {
    await (await openSession(env())).resolveKind('teams');
    fake.kinds = [...fake.kinds, served('Widget', 'widgets')];
    expect((await (await openSession(env())).resolveKind('widgets')).kind).toBe('Widget');
    expect(fake.kindRequests).toBe(2);
    expect((await (await openSession(env())).resolveKind('widgets')).kind).toBe('Widget');
    expect(fake.kindRequests).toBe(2);
    // Unknown to the server too: refused, as without a cache.
    await expect((await openSession(env())).resolveKind('gadgets')).rejects.toThrow(
      /doesn't have a resource type "gadgets"/,
    );
  });

  it('drops the cache when an answer carries another tag of the kinds (a server of another version)', async () => {
    await (await openSession(env())).resolveKind('teams');
    fake.tag = '"two"';
    await get(env(), 'teams', [], {});
    expect(existsSync(cacheFile())).toBe(false);
    await (await openSession(env())).resolveKind('teams');
    expect(fake.kindRequests).toBe(2);
    expect((JSON.parse(readFileSync(cacheFile(), 'utf8')) as DiscoveryEntry).tag).toBe('"two"');
  });

  it('looks the kind up again when the server no longer serves the cached kind at its path', async () => {
    fake.kinds = [served('Team', 'teams')];
    await (await openSession(env())).resolveKind('teams');
    // The server now serves Team under another plural; the cache still says `teams`.
    fake.kinds = [served('Team', 'squads', ['teams'])];
    out.length = 0;
    await get(env(), 'teams', [], {});
    expect(fake.kindRequests).toBe(2);
    expect(fake.paths.filter((path) => path.startsWith('/apis/'))).toEqual([
      expect.stringMatching(/\/teams\?/),
      expect.stringMatching(/\/squads\?/),
    ]);
    expect(out.join('')).toBe('No resources found.\n');
  });

  it('ignores a corrupted cache file and replaces it', async () => {
    await mkdir(dirname(cacheFile()), { recursive: true });
    writeFileSync(cacheFile(), '{"server": 1, "kinds": "');
    expect((await (await openSession(env())).resolveKind('teams')).plural).toBe('teams');
    expect(fake.kindRequests).toBe(1);
    expect((JSON.parse(readFileSync(cacheFile(), 'utf8')) as DiscoveryEntry).kinds).toHaveLength(1);
  });

  it('asks the server for the whole list (manifests are checked against exactly what it serves)', async () => {
    await (await openSession(env())).resolveKind('teams');
    await (await openSession(env())).kinds();
    expect(fake.kindRequests).toBe(2);
  });
});
