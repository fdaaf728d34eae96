import { formatDuration, parseDuration } from '../duration.ts';
import { CliError, ReportedFailure } from '../errors.ts';
import type { DrainReport } from '@gantry/client';
import type { CommandEnv, Io } from '../io.ts';
import { openSession } from '../session.ts';

export interface NodeOperationOptions {
  cluster: string;
  team?: string;
  /** Act despite a stopped line or a closed ChangeWindow (ADR 0033); audited on the server. */
  overrideReason?: string;
}

export interface DrainOptions extends NodeOperationOptions {
  /** A duration (`30s`, `5m`, `1h`); default 5m, the server's. */
  timeout?: string;
  force?: boolean;
}

const DEFAULT_DRAIN_TIMEOUT = '5m';
const MAX_DRAIN_SECONDS = 3600;
/** The drain runs on the server for up to its timeout; the request waits that long and a little more. */
const DRAIN_RESPONSE_MARGIN_MS = 30_000;

/** `gantry cordon|uncordon NODE --cluster C`. */
export async function setSchedulable(
  env: CommandEnv,
  operation: 'cordon' | 'uncordon',
  node: string,
  options: NodeOperationOptions,
): Promise<void> {
  const session = await openSession(env, options.team);
  await session.client.nodeOperation(
    { team: session.team, cluster: options.cluster, node },
    operation,
    options.overrideReason !== undefined ? { overrideReason: options.overrideReason } : undefined,
  );
  env.io.out(`node/${node} ${operation}ed\n`);
}

/**
 * `gantry drain NODE --cluster C`: the server cordons the node and evicts its pods, then reports; the
 * report is printed the way kubectl prints a drain, and pods left behind make the exit code 1.
 */
export async function drain(env: CommandEnv, node: string, options: DrainOptions): Promise<void> {
  const timeoutSeconds = drainTimeoutSeconds(options.timeout ?? DEFAULT_DRAIN_TIMEOUT);
  const session = await openSession(env, options.team);
  const report = await session.client.nodeOperation(
    { team: session.team, cluster: options.cluster, node },
    'drain',
    {
      timeoutSeconds,
      force: options.force === true,
      ...(options.overrideReason !== undefined ? { overrideReason: options.overrideReason } : {}),
    },
    timeoutSeconds * 1000 + DRAIN_RESPONSE_MARGIN_MS,
  );
  const failures = printDrainReport(env.io, report, timeoutSeconds);
  if (failures > 0) throw new ReportedFailure(failures);
}

/** `--timeout` as the whole seconds the API takes (1 to 3600). */
export function drainTimeoutSeconds(text: string): number {
  const ms = parseDuration(text);
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 1 || seconds > MAX_DRAIN_SECONDS)
    throw new CliError(`--timeout must be from 1s to 1h (got ${text})`);
  return seconds;
}

/**
 * kubectl's drain output from the report: `node/X cordoned`, a warning for the pods a drain leaves alone,
 * `evicting pod ns/name` per eviction, then `node/X drained` — or, when pods remain or the timeout
 * passed, an error per pod with its reason. Returns the number of errors printed.
 */
export function printDrainReport(
  io: Pick<Io, 'out' | 'err'>,
  report: DrainReport,
  timeoutSeconds: number,
): number {
  const node = `node/${report.node}`;
  if (report.cordoned) io.out(`${node} cordoned\n`);
  for (const pod of report.skipped)
    io.err(`Warning: ignoring pod ${pod.namespace}/${pod.name}: ${pod.reason}\n`);
  for (const pod of report.evicted) io.out(`evicting pod ${pod.namespace}/${pod.name}\n`);
  if (report.remaining.length === 0 && !report.timedOut) {
    io.out(`${node} drained\n`);
    return 0;
  }
  for (const pod of report.remaining)
    io.err(`error: pod ${pod.namespace}/${pod.name} not evicted: ${pod.reason}\n`);
  const count = `${report.remaining.length} pod${report.remaining.length === 1 ? '' : 's'} remain${report.remaining.length === 1 ? 's' : ''}`;
  const timedOut = report.timedOut ? `; timed out after ${formatDuration(timeoutSeconds * 1000)}` : '';
  io.err(`error: ${node} not drained: ${count}${timedOut}\n`);
  return report.remaining.length + 1;
}
