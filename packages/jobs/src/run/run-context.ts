import type { EventRecorder } from '@gantry/controllers';
import type { FleetChangeGate, JobAgentMessage, JobRun } from '@gantry/model';
import type { JobRepository, StoredJobTarget, WriteFence } from '@gantry/store';
import type { AgentPort } from '../agent-port.ts';
import type { JobExecution } from '../execution.ts';

/** Reads a team's secret; `SecretService.reveal` (controllers only: never an answer, log or audit). */
export interface SecretReader {
  reveal(team: string, name: string): Promise<Record<string, string>>;
}

/** One attempt on a cluster, run as a Kubernetes Job and reported like an agent would. */
export interface ClusterAttempt {
  team: string;
  cluster: string;
  runId: string;
  target: string;
  attempt: number;
  execution: JobExecution;
  parameters: JobRun['parameters'];
  secrets: Record<string, string>;
}

export interface ClusterJobRunner {
  /**
   * Creates the attempt's Job (or finds the one created before: the name is derived from run and
   * attempt) and follows it, reporting accepted, output and finished through `report`.
   */
  start(attempt: ClusterAttempt, report: (message: JobAgentMessage) => void): Promise<void>;
  cancel(attempt: Pick<ClusterAttempt, 'team' | 'cluster' | 'runId' | 'target' | 'attempt'>): Promise<void>;
  /** Stops following Jobs (the server is shutting down; the next leader picks them up). */
  stop?(): void;
}

export interface RunControllerDeps {
  jobs: JobRepository;
  port: AgentPort;
  secrets: SecretReader;
  recorder: EventRecorder;
  clusters?: ClusterJobRunner;
  /**
   * The fleet gate (ADR 0033): runs made by hand or by a Schedule keep their queued targets queued while
   * it is closed for `jobs`. Runs a Change makes are not asked (the change checks its own). Absent: open.
   */
  gate?: FleetChangeGate;
}

export interface RunControllerTiming {
  /** An agent away this long while its target is dispatched or running makes the target lost. */
  lostAfterMs: number;
  /** Past the job's timeout, a connected agent that has said nothing this long more makes it timed out. */
  resultGraceMs: number;
}

/** What the stages of one reconcile share. */
export interface RunContext {
  run: JobRun;
  targets: StoredJobTarget[];
  execution: JobExecution;
  now: number;
  deps: RunControllerDeps;
  timing: RunControllerTiming;
  /** Attempts this server sent during its current term (`run/target/attempt`). */
  sent: Set<string>;
  /** Since when each host (`team/host`) has been seen disconnected. */
  goneSince: Map<string, number>;
  /** The term's fence (ADR 0028), carried by every state write the leader makes; absent in unit tests. */
  fence?: WriteFence;
  /**
   * Throws `FencedWriteRefused` unless the term is still the lease's current one (a read of the lease row):
   * called just before sending to agents or clusters, which the store cannot fence.
   */
  confirm: () => Promise<void>;
  /** Reports of a cluster runner, handled like an agent's. */
  report: (from: { team: string; host: string }, message: JobAgentMessage) => void;
}

export const ACTIVE_STATES = ['dispatched', 'running'] as const;
export const FAILED_STATES = ['failed', 'timed-out', 'lost'] as const;

export function attemptKey(runId: string, target: string, attempt: number): string {
  return `${runId}/${target}/${attempt}`;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The cluster a `cluster/<name>` target names. */
export function clusterOf(target: string): string {
  return target.slice('cluster/'.length);
}

/** Whether a Change made the run: its creator is the change's step principal (`change/<name>#<hash>`). */
export function madeByChange(run: Pick<JobRun, 'createdBy'>): boolean {
  return run.createdBy.startsWith('change/');
}
