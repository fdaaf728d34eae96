import { GantryClient } from './client.ts';
import { DEFAULT_TEAM, loadConfig, selectContext, type Context } from './config.ts';
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
  kinds(): Promise<KindInfo[]>;
  resolveKind(typed: string): Promise<KindInfo>;
}

export async function openSession(env: CommandEnv, teamFlag?: string): Promise<Session> {
  const config = await loadConfig(env.configPath);
  const context = selectContext(config, env.configPath, env.contextName);
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
  });
  let kinds: Promise<KindInfo[]> | undefined;
  const loadKinds = (): Promise<KindInfo[]> => (kinds ??= client.kinds());
  return {
    client,
    context,
    team: teamFlag ?? context.team ?? DEFAULT_TEAM,
    teamFromFlag: teamFlag !== undefined,
    kinds: loadKinds,
    resolveKind: async (typed) => resolveKind(await loadKinds(), typed),
  };
}
