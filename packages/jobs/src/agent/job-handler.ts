import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  lazyValidator,
  createAjv,
  JOBS_CHANNEL,
  JobServerMessage,
  type JobStartMessage,
} from '@gantry/model';
import { realAgentClock, type AgentClock } from './agent-clock.ts';
import { findPrlimit, startAttempt, type ExecutorOptions, type RunningAttempt } from './executor.ts';
import { lookupUser, type HostUser } from './users.ts';

export interface AgentJobHandlerOptions {
  /** The agent's `report(channel, body)`: durable while the server is away, delivered in order. */
  report: (channel: string, body: unknown) => void;
  /** The agent's work directory; attempts run under `<workDir>/runs`, markers under `<workDir>/jobs`. */
  workDir: string;
  /** The user jobs run as when a template names none; default `nobody` when the agent runs as root, else the agent's own user. */
  jobUser?: string;
  /** Allow templates that ask for root (default false). */
  allowRoot?: boolean;
  clock?: AgentClock;
  killGraceMs?: number;
  chunkBytes?: number;
  /** `prlimit`'s path (default: looked for in /usr/bin and /bin); null: none, jobs with limits are refused. */
  prlimit?: string | null;
  /** Told of messages it refused (malformed); default nothing. */
  onInvalid?: (body: unknown, problems: string) => void;
}

export interface AgentJobHandler {
  /** Pass to the agent's `registerChannel('jobs', ...)`. */
  handle(body: unknown): void;
  /** Attempts running now. */
  running(): number;
  /** Cancels every running attempt and waits for their finish reports. */
  stop(): Promise<void>;
}

const validateServerMessage = lazyValidator<JobServerMessage>(createAjv(), JobServerMessage);

/**
 * The agent's side of jobs: starts each attempt once (by run, target and attempt; a marker file makes
 * that hold across agent restarts too), cancels on request, and reports accepted, output and finished
 * on the `jobs` channel.
 */
export function createAgentJobHandler(options: AgentJobHandlerOptions): AgentJobHandler {
  const markers = join(options.workDir, 'jobs');
  // The job user must be able to pass through the work directory to its attempt's own directory (0700,
  // its own); search only, no listing. Files the agent keeps there stay 0600.
  const mode = statSync(options.workDir).mode;
  if ((mode & 0o011) !== 0o011) chmodSync(options.workDir, (mode & 0o7777) | 0o011);
  mkdirSync(markers, { recursive: true, mode: 0o700 });
  const clock = options.clock ?? realAgentClock;
  const executor: ExecutorOptions = {
    workDir: options.workDir,
    defaultUser: defaultUser(options.jobUser),
    resolveUser: (name) => lookupUser(name),
    allowRoot: options.allowRoot ?? false,
    clock,
    killGraceMs: options.killGraceMs ?? 5_000,
    chunkBytes: options.chunkBytes ?? 16_384,
    prlimit: options.prlimit === undefined ? findPrlimit() : options.prlimit,
  };
  const running = new Map<string, RunningAttempt>();
  const key = (m: { runId: string; target: string; attempt: number }) =>
    `${m.runId}\u0000${m.target}\u0000${m.attempt}`;
  const markerFile = (k: string) => join(markers, createHash('sha256').update(k).digest('hex').slice(0, 40));
  const at = () => new Date(clock.now()).toISOString();

  const start = (message: JobStartMessage) => {
    const k = key(message);
    const ids = { runId: message.runId, target: message.target, attempt: message.attempt };
    const marker = markerFile(k);
    if (running.has(k) || existsSync(marker)) {
      options.report(JOBS_CHANNEL, { type: 'accepted', ...ids, at: at(), duplicate: true });
      return;
    }
    // Written before anything runs: an agent restarted after this point never starts the attempt again.
    writeFileSync(marker, `${message.runId} ${message.target} ${message.attempt}\n`, { mode: 0o600 });
    options.report(JOBS_CHANNEL, { type: 'accepted', ...ids, at: at(), duplicate: false });
    let ended = false;
    const attempt = startAttempt(
      message,
      {
        output: (chunk) => options.report(JOBS_CHANNEL, { type: 'output', ...ids, ...chunk }),
        finished: (result) => {
          ended = true;
          running.delete(k);
          options.report(JOBS_CHANNEL, { type: 'finished', ...ids, ...result, at: at() });
        },
      },
      executor,
    );
    if (!ended) running.set(k, attempt);
  };

  return {
    handle(body) {
      const checked = validateServerMessage(body);
      if (!checked.ok) {
        options.onInvalid?.(body, checked.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
        return;
      }
      const message = checked.value;
      if (message.type === 'start') start(message);
      else running.get(key(message))?.cancel();
    },
    running: () => running.size,
    async stop() {
      const all = [...running.values()];
      for (const attempt of all) attempt.cancel();
      await Promise.all(all.map((attempt) => attempt.done));
    },
  };
}

function defaultUser(name: string | undefined): HostUser {
  if (name) {
    const found = lookupUser(name);
    if (!found) throw new Error(`job user ${name} not found in /etc/passwd`);
    return found;
  }
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { name: String(uid), uid, gid: process.getgid?.() ?? uid };
  return lookupUser('nobody') ?? { name: 'nobody', uid: 65534, gid: 65534 };
}
