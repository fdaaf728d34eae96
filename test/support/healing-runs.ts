import { expect } from 'vitest';
import type { HealingRepository, StoredHealingRun } from '@gantry/store';

const MIN = 60_000;

/** A healing run to store as the controller stores them, at times relative to the test's start. */
export interface SeedRun {
  policy: string;
  node: string;
  phase: string;
  /** Minutes before the test's start. */
  createdMinAgo: number;
  endedMinAgo?: number;
  mode?: 'Shadow' | 'Act';
  reason?: string;
  triggerId?: string;
  triggerSinceMinAgo?: number;
  triggerSince?: string;
  rootCause?: string;
  actions?: { action: string; state: 'succeeded' | 'failed' | 'running' }[];
  approval?: { action: string; expiresInMin: number };
}

/**
 * Stores a run (id `run-<key>`) with a small diagnosis (step a → otherwise → b), its actions and approval;
 * `nextAt` far ahead so that a server's own healing controller leaves it alone.
 */
export async function seedHealingRun(
  runs: Pick<HealingRepository, 'create' | 'update'>,
  team: string,
  t0: number,
  key: string,
  run: SeedRun,
): Promise<StoredHealingRun> {
  const at = (minAgo: number) => new Date(t0 - minAgo * MIN).toISOString();
  const id = `run-${key}`;
  const entity = { kind: 'Node', name: run.node, cluster: 'east', domain: 'r1', labels: {} };
  const data = {
    trigger: {
      kind: 'exception',
      id: run.triggerId ?? `exc-${key}`,
      since: run.triggerSince ?? at(run.triggerSinceMinAgo ?? run.createdMinAgo),
      entity,
      bindingSummary: { title: `NodeNotReady on ${run.node}` },
    },
    diagnosis: {
      tree: 'node-down',
      reason: run.rootCause ? 'Concluded' : 'EvidenceFailed',
      message: run.rootCause ? `concluded ${run.rootCause}` : 'evidence agent failed',
      path: [
        {
          step: 'a',
          branch: 'otherwise',
          tried: [{ index: 0, when: 'evidence.node.ready', result: false }],
          next: 'b',
        },
        // A concluded diagnosis went on to step b and its `otherwise` (the node-down test tree's shape).
        ...(run.rootCause ? [{ step: 'b', branch: 'otherwise', tried: [] }] : []),
      ],
      evidence: [{ name: 'node', type: 'inventory', ok: true, value: { ready: false }, durationMs: 2 }],
      ...(run.rootCause
        ? { conclusion: { rootCause: run.rootCause, supporting: ['node'], action: 'cordon-drain' } }
        : {}),
      startedAt: at(run.createdMinAgo),
      finishedAt: at(run.createdMinAgo),
      engineMs: 1,
    },
    ...(run.rootCause ? { chosen: 'cordon-drain' } : {}),
    decisions: [
      {
        at: at(run.createdMinAgo),
        stage: 'diagnose',
        reason: 'DiagnosisConcluded',
        message: 'concluded',
      },
    ],
    actions: (run.actions ?? []).map((action, index) => ({
      key: `healing/${id}/rung/${index}/attempt/0`,
      rung: index,
      action: action.action,
      startedAt: at(run.createdMinAgo),
      deadline: at(run.createdMinAgo - 30),
      state: action.state,
    })),
    verifications: [],
    approvals: run.approval
      ? [
          {
            action: run.approval.action,
            rung: 1,
            requestedAt: at(run.createdMinAgo),
            expiresAt: new Date(t0 + run.approval.expiresInMin * MIN).toISOString(),
          },
        ]
      : [],
  };
  const created = await runs.create({
    id,
    team,
    policy: run.policy,
    triggerKind: 'exception',
    triggerKey: `exception/${id}`,
    entity: `Node/east/${run.node}`,
    domain: 'r1',
    mode: run.mode ?? 'Act',
    phase: run.phase,
    rung: 0,
    reason: run.reason ?? 'HealingMatched',
    message: `${run.phase} run`,
    data,
    // Far ahead: the server's own controller leaves these runs alone (an approval is judged by its expiry).
    nextAt: new Date(t0 + 600 * MIN).toISOString(),
    createdAt: at(run.createdMinAgo),
  });
  expect(created).toBeDefined();
  if (run.endedMinAgo === undefined) return created!;
  const ended = await runs.update(id, 1, {
    endedAt: at(run.endedMinAgo),
    updatedAt: at(run.endedMinAgo),
  });
  return ended!;
}
