import { findContext, loadConfig, saveConfig, upsertContext, DEFAULT_TEAM } from '../config.ts';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatTable } from '../output.ts';

export async function getContexts(env: CommandEnv, options: { output?: string }): Promise<void> {
  const config = await loadConfig(env.configPath);
  if (options.output === 'name') {
    env.io.out(config.contexts.map((c) => `${c.name}\n`).join(''));
    return;
  }
  const rows = config.contexts.map((c) => [
    c.name === config.currentContext ? '*' : '',
    c.name,
    c.server,
    c.team ?? DEFAULT_TEAM,
  ]);
  env.io.out(formatTable(['CURRENT', 'NAME', 'SERVER', 'TEAM'], rows));
}

export async function useContext(env: CommandEnv, name: string): Promise<void> {
  const config = await loadConfig(env.configPath);
  if (findContext(config, name) === undefined)
    throw new CliError(`no context exists with the name: "${name}"`);
  await saveConfig(env.configPath, { ...config, currentContext: name });
  env.io.out(`Switched to context "${name}".\n`);
}

export async function currentContext(env: CommandEnv): Promise<void> {
  const config = await loadConfig(env.configPath);
  if (config.currentContext === undefined) throw new CliError('current-context is not set: run gantry login');
  env.io.out(`${config.currentContext}\n`);
}

/** Changes a context's default team or server; NAME defaults to the current context. */
export async function setContext(
  env: CommandEnv,
  name: string | undefined,
  options: { team?: string; server?: string },
): Promise<void> {
  const config = await loadConfig(env.configPath);
  const target = name ?? config.currentContext;
  if (target === undefined) throw new CliError('no context named and current-context is not set');
  const existing = findContext(config, target);
  if (existing === undefined)
    throw new CliError(`no context exists with the name: "${target}" (gantry login creates contexts)`);
  const updated = { ...existing };
  if (options.team !== undefined) {
    if (options.team === '') delete updated.team;
    else updated.team = options.team;
  }
  if (options.server !== undefined) updated.server = options.server.replace(/\/+$/, '');
  await saveConfig(env.configPath, upsertContext(config, updated));
  env.io.out(`Context "${target}" modified.\n`);
}
