import { describe, expect, it } from 'vitest';
import type { DiagnosisTreeSpec, HealingDiagnosis } from '@gantry/client';
import { percent, treeGraph } from './healing';

const tree: DiagnosisTreeSpec = {
  subject: 'Node',
  evidence: [
    { name: 'node', inventory: { object: 'node' } },
    { name: 'agent', heartbeat: {} },
  ],
  root: 'a',
  steps: [
    {
      name: 'a',
      branches: [
        { when: 'evidence.node.ready', conclude: { rootCause: 'Fine', supporting: [], action: 'none' } },
      ],
      otherwise: { next: 'b' },
    },
    {
      name: 'b',
      branches: [],
      otherwise: { conclude: { rootCause: 'HostDown', supporting: ['agent'], action: 'cordon-drain' } },
    },
  ],
} as DiagnosisTreeSpec;

const diagnosis = {
  tree: 'node-down',
  reason: 'Concluded',
  message: 'concluded',
  path: [
    {
      step: 'a',
      branch: 'otherwise',
      tried: [{ index: 0, when: 'evidence.node.ready', result: false }],
      next: 'b',
    },
    { step: 'b', branch: 'otherwise', tried: [] },
  ],
  evidence: [],
  conclusion: { rootCause: 'HostDown', supporting: ['agent'], action: 'cordon-drain' },
  startedAt: '2026-12-03T00:00:00.000Z',
  finishedAt: '2026-12-03T00:00:00.000Z',
  engineMs: 1,
} as HealingDiagnosis;

describe('treeGraph', () => {
  it('lays a tree out by depth with each conclusion a leaf, and marks the path taken', () => {
    const graph = treeGraph(tree, diagnosis);
    const byId = Object.fromEntries(graph.nodes.map((node) => [node.id, node]));
    expect(Object.keys(byId).sort()).toEqual(['a', 'a#0', 'b', 'b#otherwise']);
    expect(byId.a).toMatchObject({ taken: true, x: 20, tried: ['evidence.node.ready → false'] });
    expect(byId.b).toMatchObject({ taken: true, x: 320 });
    expect(byId['a#0']).toMatchObject({ kind: 'conclusion', label: 'Fine', taken: false });
    expect(byId['b#otherwise']).toMatchObject({
      label: 'HostDown',
      action: 'cordon-drain',
      taken: true,
      x: 620,
    });
    expect(graph.edges.filter((edge) => edge.taken).map((edge) => `${edge.from}→${edge.to}`)).toEqual([
      'a→b',
      'b→b#otherwise',
    ]);
  });

  it('marks nothing without a diagnosis, and no conclusion when the diagnosis stopped short', () => {
    expect(treeGraph(tree).nodes.some((node) => node.taken)).toBe(false);
    const stopped = {
      ...diagnosis,
      reason: 'EvidenceFailed',
      conclusion: undefined,
      path: diagnosis.path.slice(0, 1),
    };
    const graph = treeGraph(tree, stopped as HealingDiagnosis);
    expect(graph.nodes.filter((node) => node.taken).map((node) => node.id)).toEqual(['a']);
  });

  it('prints shares', () => {
    expect(percent(0.5)).toBe('50.0%');
    expect(percent(undefined)).toBe('—');
  });
});
