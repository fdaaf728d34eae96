import { describe, expect, it } from 'vitest';
import { ErrorCodes, InputError, type JobOutputPage, type JobRunWithTargets } from '@gantry/model';
import { createJobDiagnosticRunner, type DiagnosticJobs } from './resource-ports.ts';

/** A job service whose run ends after `pages` output pages, with `exitCode`. */
function jobs(exitCode: number | null, pages: number, refuse = false) {
  const created: unknown[] = [];
  let read = 0;
  const service: DiagnosticJobs = {
    create: (_caller, input) => {
      if (refuse)
        return Promise.reject(
          new InputError(
            'unknown template',
            [{ path: '/template', message: 'no such template' }],
            ErrorCodes.invalid,
          ),
        );
      created.push(input);
      return Promise.resolve({ id: 'run-1' } as JobRunWithTargets);
    },
    output: () => {
      read += 1;
      const page: JobOutputPage = {
        chunks: [
          { id: read, target: 'h1', attempt: 1, seq: read, stream: 'stdout', data: `line ${read}\n`, at: '' },
        ],
        cursor: read,
        done: read >= pages,
      };
      return Promise.resolve(page);
    },
    get: () =>
      Promise.resolve({
        id: 'run-1',
        state: exitCode === 0 ? 'Succeeded' : 'Failed',
        targetList: [
          {
            state: exitCode === null ? 'lost' : 'succeeded',
            exitCode,
            message: exitCode === null ? 'agent gone' : '',
          },
        ],
      } as unknown as JobRunWithTargets),
  };
  return { service, created };
}

describe('diagnostic jobs through the job service', () => {
  it('runs the template on the one host and gives its exit code and output', async () => {
    const { service, created } = jobs(3, 2);
    const runner = createJobDiagnosticRunner(service, () => 0);
    expect(await runner.run('t', 'h1', 'check-kubelet', { node: 'n1' }, 60_000)).toEqual({
      ok: true,
      value: {
        runId: 'run-1',
        state: 'Failed',
        exitCode: 3,
        targetState: 'succeeded',
        output: 'line 1\nline 2\n',
      },
    });
    expect(created).toEqual([
      {
        team: 't',
        template: 'check-kubelet',
        parameters: { node: 'n1' },
        targets: { hosts: ['h1'] },
        concurrency: 1,
      },
    ]);
  });

  it('concludes nothing from a lost job, a refused one, or one that does not end in time', async () => {
    expect(
      await createJobDiagnosticRunner(jobs(null, 1).service, () => 0).run('t', 'h1', 'x', {}, 1000),
    ).toMatchObject({
      ok: false,
      reason: 'JobNoExitCode',
      message: 'job run run-1 ended lost: agent gone',
    });
    expect(
      await createJobDiagnosticRunner(jobs(0, 1, true).service, () => 0).run('t', 'h1', 'x', {}, 1000),
    ).toMatchObject({
      ok: false,
      reason: ErrorCodes.invalid,
    });
    let clock = 0;
    const slow = jobs(0, 100).service;
    const output = slow.output.bind(slow);
    slow.output = (...args) => {
      clock += 400;
      return output(...args);
    };
    expect(await createJobDiagnosticRunner(slow, () => clock).run('t', 'h1', 'x', {}, 1000)).toMatchObject({
      ok: false,
      reason: 'JobTimedOut',
    });
  });
});
