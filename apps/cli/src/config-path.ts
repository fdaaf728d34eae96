import { homedir } from 'node:os';
import { join } from 'node:path';

// Apart from config.ts so that main.ts can name the file without loading the YAML library (ADR 0011).

/** `GANTRY_CONFIG` wins, so tests and scripts can keep their contexts apart from the user's. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['GANTRY_CONFIG'];
  return override !== undefined && override !== '' ? override : join(homedir(), '.gantry', 'config');
}
