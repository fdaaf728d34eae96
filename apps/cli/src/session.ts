import { ApiError, ErrorCodes } from '@gantry/client';
import { GantryClient } from './client.ts';
import { DEFAULT_TEAM, loadConfig, selectContext, type Context } from './config.ts';
import {
  discoveryCacheFile,
  dropDiscoveryCache,
  readDiscoveryCache,
  writeDiscoveryCache,
  type DiscoveryEntry,
} from './discovery-cache.ts';
import { CliError } from './errors.ts';
import type { CommandEnv } from './io.ts';
import { resolveKind, type KindInfo } from './kinds.ts';

/** A logged-in context with its client, and the team that commands default to. */
export interface Session {
  client: GantryClient;
  context: Context;
  /** `--team`, else the context's team, else `default`. */
  team: string;
  /** Whether the team came from `--team` (a manifest naming another team is then an error). */
  teamFromFlag: boolean;
  /** Every kind the server serves, asked of the server (manifests are checked against exactly these). */
  kinds(): Promise<KindInfo[]>;
  /**
   * The kind the user typed, from the discovery cache when it holds it (ADR 0035), else from the server;
   * a name the cache does not know is asked of the server before it is refused.
   */
  resolveKind(typed: string): Promise<KindInfo>;
  /**
   * Resolves the kind and runs `use` with it; if the kind came from the cache and the server answers that
   * it serves other kinds (an unknown kind's path, or a 404 from a server whose kinds' tag is not the
   * cache's), the kinds are asked of the server and `use` runs once more. Only for reads.
   */
  withKind<T>(typed: string, use: (kind: KindInfo) => Promise<T>): Promise<T>;
}

export async function openSession(env: CommandEnv, teamFlag?: string): Promise<Session> {
  const config = await loadConfig(env.configPath);
  const context = selectContext(config, env.configPath, env.contextName);
  const cacheFile = discoveryCacheFile(env.configPath, context.server);
  /** The cache entry the kinds in use came from; undefined once they came from the server. */
  let cached: DiscoveryEntry | undefined;
  /** The last KINDS_TAG_HEADER answered; a tag that is not the cache's ends the cache. */
  let lastTag: string | undefined;
  let cacheStale = false;
  // Each warning once per object and command: `apply` sends a dry run before the write it reports.
  const warned = new Set<string>();
  const client = new GantryClient({
    server: context.server,
    token: context.token,
    onWarning: (message, request) => {
      const key = `${request.path}\n${message}`;
      if (warned.has(key)) return;
      warned.add(key);
      env.io.err(`Warning: ${message}\n`);
    },
    onKindsTag: (tag) => {
      lastTag = tag;
      if (cached?.tag !== undefined && tag !== cached.tag && !cacheStale) {
        cacheStale = true;
        dropDiscoveryCache(cacheFile);
      }
    },
  });

  let kinds: Promise<KindInfo[]> | undefined;
  const fetchKinds = async (): Promise<KindInfo[]> => {
    const served = await client.kinds();
    cached = undefined;
    cacheStale = false;
    await writeDiscoveryCache(cacheFile, {
      server: context.server,
      fetchedAt: env.io.now().getTime(),
      ...(lastTag !== undefined ? { tag: lastTag } : {}),
      kinds: served,
    });
    return served;
  };
  const refresh = (): Promise<KindInfo[]> => (kinds = fetchKinds());
  const loadKinds = (): Promise<KindInfo[]> =>
    (kinds ??= (async () => {
      const entry = await readDiscoveryCache(cacheFile, context.server, env.io.now().getTime());
      if (entry === undefined) return fetchKinds();
      cached = entry;
      return entry.kinds;
    })());
  const resolve = async (typed: string): Promise<KindInfo> => {
    const known = await loadKinds();
    if (cached === undefined) return resolveKind(known, typed);
    try {
      return resolveKind(known, typed);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      return resolveKind(await refresh(), typed); // a kind the cache does not know yet
    }
  };
  return {
    client,
    context,
    team: teamFlag ?? context.team ?? DEFAULT_TEAM,
    teamFromFlag: teamFlag !== undefined,
    kinds: () => (cached === undefined && kinds !== undefined ? kinds : refresh()),
    resolveKind: resolve,
    withKind: async (typed, use) => {
      const kind = await resolve(typed);
      if (cached === undefined) return use(kind);
      try {
        return await use(kind);
      } catch (error) {
        const servedOtherwise =
          error instanceof ApiError &&
          (error.code === ErrorCodes.unknownKind || (error.status === 404 && cacheStale));
        if (!servedOtherwise) throw error;
        dropDiscoveryCache(cacheFile);
        return use(resolveKind(await refresh(), typed));
      }
    },
  };
}
