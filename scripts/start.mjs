// `npm start`: builds the console if it is missing or stale, then runs `gantry server` on its embedded
// defaults (SQLite in ./.gantry, port 7420) through the `gantry` bin, the one start path (ADR 0011): the
// bin rebuilds dist/ when it is older than the sources. Arguments after `--` go to the server:
// `npm start -- --port 8080`.
import { execSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const consoleIndex = join(root, 'apps/console/dist/index.html');
if (!existsSync(consoleIndex) || statSync(consoleIndex).mtimeMs < newestMtime(join(root, 'apps/console'))) {
  console.log('Building the console...');
  execSync('npm run build -w @gantry/console', { cwd: root, stdio: 'inherit' });
}

const child = spawn(
  process.execPath,
  ['--enable-source-maps', join(root, 'apps/cli/bin/gantry.mjs'), 'server', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
