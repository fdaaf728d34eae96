import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestbedError } from './testbed-error.ts';

/** What `down` needs to stop a process we started, and only that process. */
export interface ProcessRecord {
  readonly name: string;
  readonly pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22): a recycled PID has another one. */
  readonly startTicks: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** The 127.0.0.1 port it serves on, checked with `listensOn` so we never talk to someone else's process. */
  readonly port?: number;
}

function procStat(pid: number): { state: string; startTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces; the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/**
 * Starts a process in its own session with output to `logFile`, so it outlives the CLI that started it;
 * the session's scheduling group gets `nice` (see `lowerSessionPriority`).
 */
export function startDetached(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  cwd: string,
  options: { port?: number | undefined; nice?: number } = {},
): ProcessRecord {
  const { port, nice = 0 } = options;
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', log, log] });
    if (child.pid === undefined)
      throw new TestbedError(`could not start ${name} (${command})`, { step: `start ${name}`, logFile });
    child.unref();
    if (nice > 0) lowerSessionPriority(child.pid, nice);
    const stat = procStat(child.pid);
    return {
      name,
      pid: child.pid,
      startTicks: stat?.startTicks ?? -1,
      command,
      args,
      logFile,
      ...(port === undefined ? {} : { port }),
    };
  } finally {
    closeSync(log);
  }
}

/**
 * Lowers the priority of a session leader's scheduling group. With autogroup scheduling
 * (`/proc/sys/kernel/sched_autogroup_enabled`), nice levels only order threads within one session, and
 * the CPUs are shared between sessions first: `setpriority` on the process would change nothing against
 * other sessions, the group's own nice (`/proc/PID/autogroup`) does. Without autogroups the file is
 * missing and the process's threads get the nice level instead (each process starts single-threaded,
 * so its later threads inherit it).
 */
export function lowerSessionPriority(pid: number, nice: number): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    try {
      setPriority(pid, nice);
    } catch {
      // Gone already: the readiness wait reports it with its log.
    }
  }
}

/** Alive means: that PID exists, is not a zombie, and is the process we started (same start time). */
export function isAlive(record: ProcessRecord): boolean {
  const stat = procStat(record.pid);
  return (
    stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTicks === record.startTicks
  );
}

/** SIGTERM to each recorded PID that is still ours, then SIGKILL to whatever outlives `graceMs`. */
export async function stopProcesses(
  records: readonly ProcessRecord[],
  graceMs: number,
): Promise<{ name: string; pid: number; killed: boolean }[]> {
  const signal = (record: ProcessRecord, sig: NodeJS.Signals) => {
    try {
      process.kill(record.pid, sig);
    } catch {
      // Exited between the check and the signal.
    }
  };
  const running = records.filter(isAlive);
  for (const record of running) signal(record, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (running.some(isAlive) && Date.now() < deadline) await sleep(100);
  const stubborn = running.filter(isAlive);
  for (const record of stubborn) signal(record, 'SIGKILL');
  while (stubborn.some(isAlive)) await sleep(50);
  return running.map((record) => ({ name: record.name, pid: record.pid, killed: stubborn.includes(record) }));
}

/** Last part of a log, for error messages. */
export function logTail(logFile: string, bytes = 2000): string {
  try {
    const text = readFileSync(logFile, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

/**
 * True when process `pid` holds the listening socket on 127.0.0.1:`port`. Ports are picked free and then
 * bound by the child a moment later; when another test bed on the machine wins that race, our process
 * exits and theirs answers on "our" port. Health checks alone would not notice (etcd speaks plain HTTP).
 */
export function listensOn(pid: number, port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let inode: string | undefined;
  try {
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1] === local && fields[3] === '0A') inode = fields[9];
    }
    if (!inode) return false;
    const socket = `socket:[${inode}]`;
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === socket;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
