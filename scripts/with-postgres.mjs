// Runs a command with GANTRY_TEST_POSTGRES_URL pointing at a PostgreSQL server. When the variable is
// already set it is used as is; otherwise a throwaway cluster is created with Debian's PostgreSQL 15
// binaries, on 127.0.0.1 and a free port, and stopped by its PID afterwards.
// Usage: node scripts/with-postgres.mjs <command> [args...]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-postgres.mjs <command> [args...]');
  process.exit(2);
}

function findBin() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin/initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(env) {
  const child = spawn(command, args, {
    stdio: 'inherit',
    env: { ...process.env, ...env },
    shell: process.platform === 'win32',
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

if (process.env.GANTRY_TEST_POSTGRES_URL) {
  process.exit(await run({}));
}

const bin = findBin();
if (!bin) {
  console.error(
    'PostgreSQL is not installed: apt-get install -y postgresql (or set GANTRY_TEST_POSTGRES_URL)',
  );
  process.exit(1);
}
const isRoot = process.getuid?.() === 0;
// PostgreSQL refuses to run as root: run it as the `postgres` user that Debian's package creates.
const asUser = (file, fileArgs) =>
  isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...fileArgs]] : [file, fileArgs];
const dir = mkdtempSync(join(tmpdir(), 'gantry-pg-'));
chmodSync(dir, 0o777);
const data = join(dir, 'data');
const port = await freePort();
const exec = (file, fileArgs) => {
  const [f, a] = asUser(file, fileArgs);
  execFileSync(f, a, { stdio: ['ignore', 'ignore', 'inherit'] });
};
let pid;
try {
  exec(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  exec(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(dir, 'postgres.log'),
    '-w',
    '-t',
    '60',
    'start',
    '-o',
    `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
  ]);
  pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  console.log(`PostgreSQL on 127.0.0.1:${port} (pid ${pid})`);
  process.exitCode = await run({
    GANTRY_TEST_POSTGRES_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
  });
} finally {
  if (pid) {
    try {
      process.kill(pid, 'SIGINT'); // fast shutdown
      for (let i = 0; i < 100 && spawnSync('kill', ['-0', String(pid)]).status === 0; i++)
        spawnSync('sleep', ['0.1']);
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
