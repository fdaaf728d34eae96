import { ApiError } from '@gantry/client';
import { GantryClient } from '../client.ts';
import { loadConfig, saveConfig, upsertContext, type Context } from '../config.ts';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';

export interface LoginOptions {
  server: string;
  username?: string;
  passwordStdin?: boolean;
  token?: string;
  team?: string;
}

/** Exchanges a password (read from stdin) for a session token, or checks a given token, and stores a context. */
export async function login(env: CommandEnv, options: LoginOptions): Promise<void> {
  const server = parseServerUrl(options.server);
  const usingPassword = options.passwordStdin === true || options.username !== undefined;
  if (options.token !== undefined && usingPassword) {
    throw new CliError('use either --token, or --username with --password-stdin, not both');
  }
  let token: string;
  let username: string;
  if (options.token !== undefined) {
    token = options.token;
    username = (await verified(new GantryClient({ server, token }))).user.username;
  } else {
    if (options.username === undefined || options.passwordStdin !== true) {
      throw new CliError(
        '--username with --password-stdin, or --token, is required (e.g. echo "$PASSWORD" | gantry login --server URL --username me --password-stdin)',
      );
    }
    const password = (await env.io.readStdin()).replace(/\r?\n$/, '');
    if (password === '') throw new CliError('--password-stdin: no password on stdin');
    username = options.username;
    try {
      token = (await new GantryClient({ server }).login(username, password)).token;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401)
        throw new CliError(`login failed: ${error.message} [${error.code}]`);
      throw error;
    }
  }
  const name = env.contextName ?? `${username}@${new URL(server).host}`;
  const config = await loadConfig(env.configPath);
  const context: Context = { name, server, token };
  if (options.team !== undefined) context.team = options.team;
  await saveConfig(env.configPath, { ...upsertContext(config, context), currentContext: name });
  env.io.out(`Logged in to ${server} as ${username} (context "${name}")\n`);
}

async function verified(client: GantryClient): Promise<{ user: { username: string } }> {
  try {
    return await client.me();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401)
      throw new CliError(`the server rejected the token [${error.code}]`);
    throw error;
  }
}

function parseServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--server must be a URL such as https://gantry.example.com (got "${text}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--server must be an http or https URL (got "${text}")`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}
