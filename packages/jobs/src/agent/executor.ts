import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { JobFinishedMessage, JobLimits, JobOutputMessage, JobStartMessage } from '@gantry/model';
import type { AgentClock } from './agent-clock.ts';
import { SecretMasker } from './secret-masker.ts';
import type { HostUser } from './users.ts';

/** What an attempt reports as it runs: output chunks, then exactly one finish. */
export interface AttemptReporter {
  output(message: Omit<JobOutputMessage, 'type' | 'runId' | 'target' | 'attempt'>): void;
  finished(message: Omit<JobFinishedMessage, 'type' | 'runId' | 'target' | 'attempt' | 'at'>): void;
}

export interface ExecutorOptions {
  /** Where attempts get their working directories (created 0711 so the job user can reach its own). */
  workDir: string;
  /** The user a job runs as when its template names none. */
  defaultUser: HostUser;
  /** Resolves a template's `runAs.user`. */
  resolveUser: (name: string) => HostUser | undefined;
  /** The agent's own consent to run jobs as root (the template must ask too). */
  allowRoot: boolean;
  clock: AgentClock;
  /** Between SIGTERM and SIGKILL of the process group at a timeout or cancel. */
  killGraceMs: number;
  /** Largest output chunk sent. */
  chunkBytes: number;
  /** util-linux's `prlimit`, which applies a template's limits; null when the host has none. */
  prlimit: string | null;
}

/** Where `prlimit` is on this host, if anywhere (util-linux: on nearly every Linux). */
export function findPrlimit(): string | null {
  return ['/usr/bin/prlimit', '/bin/prlimit'].find((path) => existsSync(path)) ?? null;
}

/** `prlimit` options for the limits given (each the soft and the hard limit); empty when none. */
export function prlimitArgs(limits: JobLimits | undefined): string[] {
  if (!limits) return [];
  const args: string[] = [];
  if (limits.cpuSeconds !== undefined) args.push(`--cpu=${limits.cpuSeconds}`);
  if (limits.memoryBytes !== undefined) args.push(`--as=${limits.memoryBytes}`);
  if (limits.fileSizeBytes !== undefined) args.push(`--fsize=${limits.fileSizeBytes}`);
  if (limits.openFiles !== undefined) args.push(`--nofile=${limits.openFiles}`);
  return args;
}

const INTERPRETERS: Record<NonNullable<JobStartMessage['script']>['interpreter'], string> = {
  sh: '/bin/sh',
  bash: '/bin/bash',
  python3: 'python3',
};

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** One attempt, started by `start` and ended by the process (or by `cancel`). */
export interface RunningAttempt {
  cancel(): void;
  /** Resolves once the attempt has reported its finish. */
  done: Promise<void>;
}

/**
 * Runs one attempt of a job on this host: a script in its own process group as the job's user, or a
 * built-in action in-process. Output is masked, cut at the cap with a marker, and sent in numbered
 * chunks; the process group is killed at the timeout (SIGTERM, then SIGKILL after the grace).
 */
export function startAttempt(
  start: JobStartMessage,
  reporter: AttemptReporter,
  options: ExecutorOptions,
): RunningAttempt {
  const output = new OutputStream(start, reporter, options.chunkBytes);
  if (start.action !== undefined || start.script === undefined) {
    return runAction(start, output, reporter);
  }
  const user = start.runAs.user === '' ? options.defaultUser : options.resolveUser(start.runAs.user);
  if (!user) return refuse(reporter, `no user ${start.runAs.user} on this host`);
  if (user.uid === 0 && !(start.runAs.allowRoot && options.allowRoot)) {
    return refuse(
      reporter,
      'refusing to run as root: the template must set runAs.allowRoot and the agent must allow root jobs',
    );
  }
  const limits = prlimitArgs(start.limits);
  if (limits.length > 0 && options.prlimit === null)
    return refuse(
      reporter,
      "refusing to run without the template's resource limits: this host has no prlimit (util-linux)",
    );
  return runScript(start, start.script, user, output, reporter, options);
}

function refuse(reporter: AttemptReporter, message: string): RunningAttempt {
  reporter.finished({
    reason: 'Refused',
    exitCode: null,
    signal: null,
    message,
    outputBytes: 0,
    truncated: false,
    lastSeq: 0,
  });
  return { cancel: () => undefined, done: Promise.resolve() };
}

function runAction(start: JobStartMessage, output: OutputStream, reporter: AttemptReporter): RunningAttempt {
  if (start.action === 'echo-parameters') {
    const lines = Object.entries(start.parameters)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `${name}=${String(value)}\n`);
    output.write('stdout', lines.join(''));
  }
  output.end();
  reporter.finished({ reason: 'Exited', exitCode: 0, signal: null, message: '', ...output.summary() });
  return { cancel: () => undefined, done: Promise.resolve() };
}

function runScript(
  start: JobStartMessage,
  script: NonNullable<JobStartMessage['script']>,
  user: HostUser,
  output: OutputStream,
  reporter: AttemptReporter,
  options: ExecutorOptions,
): RunningAttempt {
  const runs = join(options.workDir, 'runs');
  mkdirSync(runs, { recursive: true, mode: 0o711 });
  const dir = join(runs, `${start.runId}-${encodeURIComponent(start.target)}-${start.attempt}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, script.interpreter === 'python3' ? 'job.py' : 'job.sh');
  writeFileSync(file, script.source, { mode: 0o500 });
  const env: Record<string, string> = {
    PATH,
    HOME: dir,
    LANG: 'C.UTF-8',
    GANTRY_RUN_ID: start.runId,
    GANTRY_TARGET: start.target,
    GANTRY_ATTEMPT: String(start.attempt),
    ...Object.fromEntries(
      Object.entries(start.parameters).map(([name, value]) => [
        `GANTRY_PARAM_${name.toUpperCase()}`,
        String(value),
      ]),
    ),
    ...start.secrets,
  };
  let child: ChildProcess;
  let finished = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const finish = (message: Parameters<AttemptReporter['finished']>[0]) => {
    if (finished) return;
    finished = true;
    rmSync(dir, { recursive: true, force: true });
    reporter.finished(message);
    resolveDone();
  };
  try {
    if (process.getuid?.() === 0) {
      chownSync(dir, user.uid, user.gid);
      chownSync(file, user.uid, user.gid);
    }
    // With limits, prlimit sets them on itself and execs the interpreter: the same process, in the same
    // group, and every process the job starts inherits them.
    const limits = prlimitArgs(start.limits);
    const [command, args] =
      limits.length > 0 && options.prlimit
        ? [options.prlimit, [...limits, '--', INTERPRETERS[script.interpreter], file]]
        : [INTERPRETERS[script.interpreter], [file]];
    child = spawn(command, args, {
      cwd: dir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(process.getuid?.() === user.uid ? {} : { uid: user.uid, gid: user.gid }),
    });
  } catch (error) {
    finish({
      reason: 'SpawnFailed',
      exitCode: null,
      signal: null,
      message: String(error),
      ...output.summary(),
    });
    return { cancel: () => undefined, done };
  }

  let stopping: 'TimedOut' | 'Cancelled' | undefined;
  let killTimer: { cancel(): void } | undefined;
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const stop = (why: 'TimedOut' | 'Cancelled') => {
    if (stopping || finished) return;
    stopping = why;
    killGroup('SIGTERM');
    killTimer = options.clock.setTimeout(() => killGroup('SIGKILL'), options.killGraceMs);
  };
  const timeout = options.clock.setTimeout(() => stop('TimedOut'), start.timeoutSeconds * 1000);

  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  child.stdout?.on('data', (data: Buffer) => output.write('stdout', decoders.stdout.write(data)));
  child.stderr?.on('data', (data: Buffer) => output.write('stderr', decoders.stderr.write(data)));
  child.on('error', (error) => {
    timeout.cancel();
    killTimer?.cancel();
    output.end();
    finish({
      reason: 'SpawnFailed',
      exitCode: null,
      signal: null,
      message: error.message,
      ...output.summary(),
    });
  });
  child.on('exit', () => {
    // What the job left behind in its group ends with it; its pipes then close.
    killGroup('SIGKILL');
  });
  child.on('close', (code, signal) => {
    timeout.cancel();
    killTimer?.cancel();
    output.write('stdout', decoders.stdout.end());
    output.write('stderr', decoders.stderr.end());
    output.end();
    const summary = output.summary();
    if (stopping === 'TimedOut') {
      finish({
        reason: 'TimedOut',
        exitCode: code,
        signal,
        message: `killed after ${start.timeoutSeconds}s`,
        ...summary,
      });
    } else if (stopping === 'Cancelled') {
      finish({ reason: 'Cancelled', exitCode: code, signal, message: 'cancelled', ...summary });
    } else if (signal) {
      finish({ reason: 'Signalled', exitCode: null, signal, message: `ended by ${signal}`, ...summary });
    } else {
      finish({ reason: 'Exited', exitCode: code ?? 0, signal: null, message: '', ...summary });
    }
  });
  return { cancel: () => stop('Cancelled'), done };
}

/** Masks, caps and numbers one attempt's output. */
class OutputStream {
  readonly #maskers: Record<'stdout' | 'stderr', SecretMasker>;
  #seq = 0;
  #bytes = 0;
  #truncated = false;

  constructor(
    private readonly start: JobStartMessage,
    private readonly reporter: AttemptReporter,
    private readonly chunkBytes: number,
  ) {
    const values = Object.values(start.secrets);
    this.#maskers = { stdout: new SecretMasker(values), stderr: new SecretMasker(values) };
  }

  write(stream: 'stdout' | 'stderr', text: string): void {
    this.#emit(stream, this.#maskers[stream].push(text));
  }

  end(): void {
    this.#emit('stdout', this.#maskers.stdout.end());
    this.#emit('stderr', this.#maskers.stderr.end());
  }

  summary(): { outputBytes: number; truncated: boolean; lastSeq: number } {
    return { outputBytes: this.#bytes, truncated: this.#truncated, lastSeq: this.#seq };
  }

  #emit(stream: 'stdout' | 'stderr', text: string): void {
    if (text === '' || this.#truncated) return;
    let data = text;
    const room = this.start.maxOutputBytes - this.#bytes;
    const size = Buffer.byteLength(data);
    let cut = false;
    if (size > room) {
      data = Buffer.from(data)
        .subarray(0, room)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
      cut = true;
    }
    for (const piece of splitBytes(data, this.chunkBytes)) {
      this.#bytes += Buffer.byteLength(piece);
      this.reporter.output({ seq: ++this.#seq, stream, data: piece });
    }
    if (cut) {
      this.#truncated = true;
      this.reporter.output({
        seq: ++this.#seq,
        stream: 'system',
        data: `[gantry: output truncated at ${this.start.maxOutputBytes} bytes]\n`,
      });
    }
  }
}

function* splitBytes(text: string, max: number): Generator<string> {
  if (Buffer.byteLength(text) <= max) {
    if (text !== '') yield text;
    return;
  }
  // Cut on character boundaries: at most `max` bytes, never half a character.
  let piece = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > max) {
      yield piece;
      piece = '';
      bytes = 0;
    }
    piece += char;
    bytes += size;
  }
  if (piece !== '') yield piece;
}
