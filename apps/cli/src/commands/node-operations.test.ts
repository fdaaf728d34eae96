import { describe, expect, it } from 'vitest';
import { drainTimeoutSeconds, printDrainReport } from './node-operations.ts';

function capture(): { io: { out(t: string): void; err(t: string): void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t) => void out.push(t), err: (t) => void err.push(t) }, out, err };
}

describe('printDrainReport', () => {
  it('prints a complete drain the way kubectl does', () => {
    const { io, out, err } = capture();
    const failures = printDrainReport(
      io,
      {
        node: 'worker-1',
        cordoned: true,
        evicted: [
          { namespace: 'web', name: 'web-0' },
          { namespace: 'web', name: 'web-1' },
        ],
        remaining: [],
        skipped: [{ namespace: 'kube-system', name: 'proxy-x', reason: 'managed by a DaemonSet' }],
        timedOut: false,
      },
      300,
    );
    expect(failures).toBe(0);
    expect(out.join('')).toBe(
      'node/worker-1 cordoned\nevicting pod web/web-0\nevicting pod web/web-1\nnode/worker-1 drained\n',
    );
    expect(err.join('')).toBe('Warning: ignoring pod kube-system/proxy-x: managed by a DaemonSet\n');
  });

  it('reports the pods left behind, with reasons, and a timeout', () => {
    const { io, out, err } = capture();
    const failures = printDrainReport(
      io,
      {
        node: 'worker-1',
        cordoned: true,
        evicted: [],
        remaining: [
          {
            namespace: 'default',
            name: 'bare',
            reason: 'not managed by a controller (use force to evict it)',
          },
          {
            namespace: 'db',
            name: 'pg-0',
            reason: 'eviction refused by a PodDisruptionBudget until the timeout',
          },
        ],
        skipped: [],
        timedOut: true,
      },
      30,
    );
    expect(failures).toBe(3);
    expect(out.join('')).toBe('node/worker-1 cordoned\n');
    expect(err.join('')).toBe(
      [
        'error: pod default/bare not evicted: not managed by a controller (use force to evict it)',
        'error: pod db/pg-0 not evicted: eviction refused by a PodDisruptionBudget until the timeout',
        'error: node/worker-1 not drained: 2 pods remain; timed out after 30s',
        '',
      ].join('\n'),
    );
  });
});

describe('drainTimeoutSeconds', () => {
  it('turns a duration into the whole seconds the API takes', () => {
    expect(drainTimeoutSeconds('5m')).toBe(300);
    expect(drainTimeoutSeconds('1h')).toBe(3600);
    expect(drainTimeoutSeconds('1500ms')).toBe(2);
  });

  it('refuses what the API would', () => {
    expect(() => drainTimeoutSeconds('0')).toThrow('--timeout must be from 1s to 1h (got 0)');
    expect(() => drainTimeoutSeconds('2h')).toThrow('--timeout must be from 1s to 1h (got 2h)');
    expect(() => drainTimeoutSeconds('soon')).toThrow(/invalid duration/);
  });
});
