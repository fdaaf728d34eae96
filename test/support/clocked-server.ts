import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./clocked-server-main.ts', import.meta.url));

/** A server process with a clock its test moves (see `clocked-server-main.ts`). */
export interface ClockedServer {
  url: string;
  child: ChildProcess;
  /** The offset of its clock from the wall clock. */
  offsetMs: number;
  /** Moves its clock forward by `ms`; resolves once the process applies it. */
  advance(ms: number): Promise<void>;
  /** SIGKILL: no shutdown, nothing flushed. */
  kill(): Promise<void>;
  output(): string;
}

/**
 * Starts the server as a child process on `env` (GANTRY_* settings), its clock `offsetMs` ahead of the
 * wall clock; resolves once it listens.
 */
export function startClockedServer(env: Record<string, string>, offsetMs = 0): Promise<ClockedServer> {
  const child = fork(MAIN, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, GANTRY_LOG_LEVEL: 'warn', ...env, GANTRY_TEST_CLOCK_OFFSET_MS: String(offsetMs) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-50_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const server: ClockedServer = {
    url: '',
    child,
    offsetMs,
    advance: (ms) =>
      new Promise((resolve) => {
        server.offsetMs += ms;
        child.once('message', () => resolve());
        child.send({ offsetMs: server.offsetMs });
      }),
    kill: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
    output: () => output,
  };
  return new Promise((resolve, reject) => {
    const onStart = () => {
      const match = /Gantry is running at (http:\/\/\S+)/.exec(output);
      if (!match) return;
      child.stdout!.off('data', onStart);
      server.url = match[1]!;
      resolve(server);
    };
    child.stdout!.on('data', onStart);
    child.once('exit', (code, signal) => {
      if (!server.url) reject(new Error(`server exited (${code ?? signal}): ${output}`));
    });
  });
}
