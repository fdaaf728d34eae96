import { parseArgs } from 'node:util';
import { describeConfig, resolveConfig, type Config } from './config.ts';
import { applyHeapGrowth } from './heap-growth.ts';
import { startServer } from './server.ts';

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(): string {
  const rows = describeConfig().map(
    (row) =>
      `  ${row.env.padEnd(26)} ${String(row.default === '' ? '(empty)' : row.default).padEnd(12)} ${row.description}`,
  );
  return [
    'Usage: gantry server [--port N] [--host ADDR] [--data-dir DIR] [--database-url URL] [--log-level LEVEL]',
    '',
    'Every setting is also read from the environment (flags win):',
    ...rows,
  ].join('\n');
}

/** `gantry server`: resolve the config, start, print how to log in, stop cleanly on SIGTERM/SIGINT. */
export async function runServer(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: FLAGS, strict: true });
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const flags: Partial<Config> = {
    ...(values.port !== undefined ? { port: Number(values.port) } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(values['database-url'] !== undefined ? { databaseUrl: values['database-url'] } : {}),
    ...(values['log-level'] !== undefined ? { logLevel: values['log-level'] as Config['logLevel'] } : {}),
  };
  const config = resolveConfig(process.env, flags);
  // The process's V8 setting, so here and not in startServer (which tests run in their own process).
  applyHeapGrowth(config.heapGrowthPercent);
  const server = await startServer(config);
  const lines = [`Gantry is running at ${server.url}  (database: ${server.store.dialect})`];
  if (server.generatedAdminPassword) {
    lines.push(
      `First start: log in as  admin / ${server.generatedAdminPassword}`,
      'This password is shown once. Change it in the console (Users) or with GANTRY_ADMIN_PASSWORD on a fresh data dir.',
    );
  } else if (server.adminCreated) {
    lines.push('First start: log in as  admin  with the password from GANTRY_ADMIN_PASSWORD.');
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
