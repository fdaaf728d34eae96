import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobAgentMessage, JobStartMessage } from '@gantry/model';
import type { AgentClock } from './agent-clock.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { realAgentClock } from './agent-clock.ts';
import { createAgentJobHandler, type AgentJobHandler } from './job-handler.ts';
import { lookupUser } from './users.ts';

let workDir: string;
let reports: JobAgentMessage[];
let handler: AgentJobHandler;

function start(overrides: Partial<JobStartMessage> = {}): JobStartMessage {
  return {
    type: 'start',
    runId: 'run-1',
    target: 'host-a',
    attempt: 1,
    parameters: {},
    secrets: {},
    runAs: { user: '', allowRoot: false },
    timeoutSeconds: 60,
    maxOutputBytes: 1024 * 1024,
    ...overrides,
  };
}

async function finished(runId = 'run-1'): Promise<Extract<JobAgentMessage, { type: 'finished' }>> {
  for (let i = 0; i < 500; i++) {
    const found = reports.find((r) => r.type === 'finished' && r.runId === runId);
    if (found && found.type === 'finished') return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no finish for ${runId}: ${JSON.stringify(reports)}`);
}

function stdout(runId = 'run-1'): string {
  return reports
    .filter(
      (r): r is Extract<JobAgentMessage, { type: 'output' }> => r.type === 'output' && r.runId === runId,
    )
    .sort((a, b) => a.seq - b.seq)
    .map((r) => r.data)
    .join('');
}

function make(
  clock: AgentClock = realAgentClock,
  extra: { allowRoot?: boolean; prlimit?: string | null } = {},
) {
  handler = createAgentJobHandler({
    report: (_channel, body) => reports.push(body as JobAgentMessage),
    workDir,
    clock,
    killGraceMs: 200,
    ...extra,
  });
}

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'gantry-executor-'));
  reports = [];
  make();
});
afterEach(async () => {
  await handler.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** Running, not a zombie (a killed orphan may wait for a container's init to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('agent job executor (real processes)', () => {
  it('runs a shell script with parameters as environment variables and reports its exit code', async () => {
    handler.handle(
      start({
        script: { interpreter: 'sh', source: 'echo "hello $GANTRY_PARAM_NAME"; echo oops >&2; exit 3' },
        parameters: { name: 'world' },
      }),
    );
    const result = await finished();
    expect(result).toMatchObject({ reason: 'Exited', exitCode: 3, truncated: false });
    expect(stdout()).toContain('hello world\n');
    expect(reports.find((r) => r.type === 'output' && r.stream === 'stderr')).toMatchObject({
      data: 'oops\n',
    });
    expect(reports[0]).toMatchObject({ type: 'accepted', duplicate: false });
    const seqs = reports.flatMap((r) => (r.type === 'output' ? [r.seq] : []));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(result.lastSeq).toBe(seqs.length);
  });

  it('runs python scripts', async () => {
    handler.handle(start({ script: { interpreter: 'python3', source: 'import os\nprint(6 * 7)\n' } }));
    expect(await finished()).toMatchObject({ reason: 'Exited', exitCode: 0 });
    expect(stdout()).toBe('42\n');
  });

  it('runs as the unprivileged job user by default, and refuses root unless both sides allow it', async () => {
    const nobody = lookupUser('nobody');
    handler.handle(start({ script: { interpreter: 'sh', source: 'id -u' } }));
    await finished();
    expect(stdout().trim()).toBe(String(process.getuid?.() === 0 ? nobody?.uid : process.getuid?.()));

    handler.handle(
      start({
        runId: 'run-2',
        script: { interpreter: 'sh', source: 'id -u' },
        runAs: { user: 'root', allowRoot: false },
      }),
    );
    expect(await finished('run-2')).toMatchObject({ reason: 'Refused' });
    handler.handle(
      start({
        runId: 'run-3',
        script: { interpreter: 'sh', source: 'id -u' },
        runAs: { user: 'root', allowRoot: true },
      }),
    );
    expect(await finished('run-3')).toMatchObject({ reason: 'Refused' });
  });

  it('masks secret values in the output, also when a value is cut across two writes', async () => {
    handler.handle(
      start({
        script: {
          interpreter: 'sh',
          source:
            'echo "token=$API_TOKEN"; printf "half-%s" "$(echo $API_TOKEN | cut -c1-5)"; sleep 0.2; printf "%s\\n" "$(echo $API_TOKEN | cut -c6-)"',
        },
        secrets: { API_TOKEN: 'tok-s3cr3t-9f8e' },
      }),
    );
    await finished();
    expect(stdout()).toBe('token=****\nhalf-****\n');
    expect(JSON.stringify(reports)).not.toContain('s3cr3t');
  });

  it('cuts output over the cap with a marker and still completes', async () => {
    handler.handle(
      start({
        script: { interpreter: 'sh', source: 'head -c 200000 /dev/zero | tr "\\0" x; echo; exit 0' },
        maxOutputBytes: 5000,
      }),
    );
    const result = await finished();
    expect(result).toMatchObject({ reason: 'Exited', exitCode: 0, truncated: true, outputBytes: 5000 });
    const out = reports.filter((r) => r.type === 'output');
    expect(out.at(-1)).toMatchObject({
      stream: 'system',
      data: '[gantry: output truncated at 5000 bytes]\n',
    });
  });

  it('kills a script that never ends, with its whole process group, at its timeout', async () => {
    const clock = new ManualClock();
    make(clock);
    // The script and its child ignore SIGTERM: only SIGKILL of the whole group ends them.
    handler.handle(
      start({
        script: { interpreter: 'sh', source: "trap '' TERM; sh -c 'echo $$; exec sleep 1000' & wait" },
        timeoutSeconds: 5,
      }),
    );
    let childPid = 0;
    for (let i = 0; i < 300 && childPid === 0; i++) {
      childPid = Number(stdout().trim()) || 0;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(childPid).toBeGreaterThan(0);
    clock.advance(4_999);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reports.some((r) => r.type === 'finished')).toBe(false);
    clock.advance(1); // SIGTERM to the group
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(childPid)).toBe(true);
    clock.advance(200); // SIGKILL to the group
    const result = await finished();
    expect(result).toMatchObject({ reason: 'TimedOut' });
    expect(alive(childPid)).toBe(false);
  });

  it('cancels a running attempt', async () => {
    handler.handle(start({ script: { interpreter: 'sh', source: 'sleep 1000' } }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(handler.running()).toBe(1);
    handler.handle({ type: 'cancel', runId: 'run-1', target: 'host-a', attempt: 1 });
    expect(await finished()).toMatchObject({ reason: 'Cancelled', signal: 'SIGTERM' });
  });

  it('starts an attempt once, also when the start comes again after the agent restarted', async () => {
    const message = start({ script: { interpreter: 'sh', source: 'echo once' } });
    handler.handle(message);
    handler.handle(message);
    await finished();
    make(); // a new handler over the same work directory: the agent restarted
    handler.handle(message);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(
      reports.filter((r) => r.type === 'accepted').map((r) => r.type === 'accepted' && r.duplicate),
    ).toEqual([false, true, true]);
    expect(reports.filter((r) => r.type === 'finished')).toHaveLength(1);
    expect(stdout()).toBe('once\n');
  });

  it('refuses malformed messages without running anything', () => {
    const problems: string[] = [];
    handler = createAgentJobHandler({
      report: (_c, body) => reports.push(body as JobAgentMessage),
      workDir,
      onInvalid: (_body, why) => problems.push(why),
    });
    handler.handle({ type: 'start', runId: 'r' });
    expect(reports).toEqual([]);
    expect(problems).toHaveLength(1);
  });

  it("runs a script under the template's limits (kernel rlimits through prlimit), inherited by what it starts", async () => {
    handler.handle(
      start({
        script: {
          interpreter: 'sh',
          source: [
            'echo "files $(ulimit -n)"',
            // A child writes past the file size limit: the kernel stops it (SIGXFSZ) at the limit.
            'sh -c \'head -c 4096 /dev/zero > big\'; echo "status $?"',
            'echo "size $(wc -c < big)"',
          ].join('\n'),
        },
        limits: { fileSizeBytes: 1024, openFiles: 64 },
      }),
    );
    const result = await finished();
    expect(result).toMatchObject({ reason: 'Exited', exitCode: 0 });
    expect(stdout()).toContain('files 64\n');
    expect(stdout()).toMatch(/status (153|1)\n/); // 128 + SIGXFSZ, or the shell's own write error
    expect(stdout()).toContain('size 1024\n');
  });

  it('refuses an attempt with limits on a host without prlimit, rather than run it unconstrained', async () => {
    await handler.stop();
    make(realAgentClock, { prlimit: null });
    handler.handle(start({ script: { interpreter: 'sh', source: 'echo ran' }, limits: { cpuSeconds: 10 } }));
    const result = await finished();
    expect(result).toMatchObject({ reason: 'Refused', exitCode: null });
    expect(result.message).toContain('prlimit');
    expect(stdout()).toBe('');
    // Without limits it runs.
    handler.handle(start({ runId: 'run-2', script: { interpreter: 'sh', source: 'echo ran' } }));
    expect(await finished('run-2')).toMatchObject({ reason: 'Exited', exitCode: 0 });
    expect(stdout('run-2')).toBe('ran\n');
  });

  it('runs built-in actions without a process', async () => {
    handler.handle(start({ action: 'echo-parameters', parameters: { b: 2, a: 'x' } }));
    expect(await finished()).toMatchObject({ reason: 'Exited', exitCode: 0 });
    expect(stdout()).toBe('a=x\nb=2\n');
    expect(execFileSync('true').toString()).toBe('');
  });
});
