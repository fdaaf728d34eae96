import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `gantry` bin, run as users run it. */
export const GANTRY_BIN = fileURLToPath(new URL('../../apps/cli/bin/gantry.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with its own config file and working directory (manifests are named relative to it). */
export class Cli {
  constructor(
    readonly dir: string,
    readonly configFile: string = join(dir, 'config'),
  ) {}

  spawn(args: readonly string[]): ChildProcessWithoutNullStreams {
    return spawn(process.execPath, [GANTRY_BIN, ...args], {
      cwd: this.dir,
      env: { ...process.env, GANTRY_CONFIG: this.configFile },
    });
  }

  run(args: readonly string[], options: { stdin?: string } = {}): Promise<CliResult> {
    const child = this.spawn(args);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.end(options.stdin ?? '');
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  write(name: string, text: string): Promise<void> {
    return writeFile(join(this.dir, name), text);
  }
}
