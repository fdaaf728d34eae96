// `npm run build`: the console (Vite) and the server and CLI bundles (esbuild).
import { execSync } from 'node:child_process';
import { bundle } from './bundle.mjs';

execSync('npm run build -w @gantry/console', { stdio: 'inherit' });
await bundle();
