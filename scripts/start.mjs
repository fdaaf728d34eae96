// `npm start`: builds what is missing or stale, then runs `gantry server` on its embedded defaults
// (SQLite in ./.gantry, port 7420). Arguments after `--` go to the server: `npm start -- --port 8080`.
import { execSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';

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

function stale(output, ...sources) {
  return (
    !existsSync(output) ||
    statSync(output).mtimeMs < Math.max(...sources.map((source) => newestMtime(join(root, source))))
  );
}

if (stale(join(root, 'apps/console/dist/index.html'), 'apps/console')) {
  console.log('Building the console...');
  execSync('npm run build -w @gantry/console', { cwd: root, stdio: 'inherit' });
}
if (stale(join(root, 'dist/gantry-server.mjs'), 'apps/server', 'apps/cli', 'packages')) {
  await bundle();
}

const child = spawn(
  process.execPath,
  ['--enable-source-maps', join(root, 'dist/gantry-server.mjs'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
