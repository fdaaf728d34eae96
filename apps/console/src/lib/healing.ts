import type { DiagnosisTreeSpec, HealingDiagnosis, HealingRunPhase } from '@gantry/client';

/** Tag colours of a run's phase. */
export const healingPhaseColors: Record<HealingRunPhase, string> = {
  Matched: 'default',
  Diagnosing: 'processing',
  Deciding: 'processing',
  AwaitingApproval: 'warning',
  Ready: 'processing',
  Acting: 'processing',
  Verifying: 'processing',
  Healed: 'success',
  Escalated: 'error',
  Shadowed: 'purple',
  NoAction: 'default',
  TriggerResolved: 'cyan',
  Rejected: 'volcano',
};

export const HEALING_PHASE_LIST = Object.keys(healingPhaseColors) as HealingRunPhase[];

export const healingRunPath = (team: string, id: string) =>
  `/healing/teams/${encodeURIComponent(team)}/runs/${encodeURIComponent(id)}`;

export interface TreeNode {
  id: string;
  kind: 'step' | 'conclusion';
  label: string;
  /** The action a conclusion takes. */
  action?: string;
  x: number;
  y: number;
  taken: boolean;
  /** What each branch tried in this step gave, when the diagnosis went through it. */
  tried?: string[];
}

export interface TreeEdge {
  from: string;
  to: string;
  label: string;
  taken: boolean;
}

export interface TreeGraph {
  nodes: TreeNode[];
  edges: TreeEdge[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 48;
const COLUMN = 300;
const ROW = 80;

function short(text: string, max = 22): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A DiagnosisTree laid out left to right (a column per depth from the root), each conclusion its own
 * leaf, with the path a diagnosis took marked: the steps it went through, the branch it took in each,
 * and the conclusion it reached.
 */
export function treeGraph(spec: DiagnosisTreeSpec, diagnosis?: HealingDiagnosis): TreeGraph {
  const steps = new Map(spec.steps.map((step) => [step.name, step]));
  const taken = new Map((diagnosis?.path ?? []).map((entry) => [entry.step, entry]));
  const depth = new Map<string, number>();
  const nodes = new Map<string, Omit<TreeNode, 'x' | 'y'> & { depth: number }>();
  const edges: TreeEdge[] = [];
  const queue: string[] = [spec.root];
  depth.set(spec.root, 0);
  while (queue.length > 0) {
    const name = queue.shift()!;
    const step = steps.get(name);
    if (!step) continue;
    const level = depth.get(name)!;
    const entry = taken.get(name);
    nodes.set(name, {
      id: name,
      kind: 'step',
      label: name,
      depth: level,
      taken: entry !== undefined,
      ...(entry ? { tried: entry.tried.map((t) => `${t.when} → ${String(t.result)}`) } : {}),
    });
    const outcomes = [
      ...step.branches.map((branch, index) => ({ key: String(index), label: branch.when, outcome: branch })),
      { key: 'otherwise', label: 'otherwise', outcome: step.otherwise },
    ];
    for (const { key, label, outcome } of outcomes) {
      const took = entry !== undefined && String(entry.branch) === key;
      if (outcome.next) {
        if (!depth.has(outcome.next)) {
          depth.set(outcome.next, level + 1);
          queue.push(outcome.next);
        }
        edges.push({ from: name, to: outcome.next, label: short(label), taken: took });
      } else if (outcome.conclude) {
        const id = `${name}#${key}`;
        nodes.set(id, {
          id,
          kind: 'conclusion',
          label: outcome.conclude.rootCause,
          action: outcome.conclude.action,
          depth: level + 1,
          taken: took && diagnosis?.conclusion !== undefined,
        });
        edges.push({ from: name, to: id, label: short(label), taken: took });
      }
    }
  }
  const rows = new Map<number, number>();
  const placed: TreeNode[] = [];
  for (const node of nodes.values()) {
    const row = rows.get(node.depth) ?? 0;
    rows.set(node.depth, row + 1);
    const { depth: level, ...rest } = node;
    placed.push({ ...rest, x: 20 + level * COLUMN, y: 20 + row * ROW });
  }
  const columns = Math.max(0, ...rows.keys()) + 1;
  const maxRows = Math.max(1, ...rows.values());
  return {
    nodes: placed,
    edges,
    width: 40 + (columns - 1) * COLUMN + NODE_WIDTH,
    height: 40 + (maxRows - 1) * ROW + NODE_HEIGHT,
  };
}

/** A share as a percentage, or a dash. */
export function percent(share: number | undefined): string {
  return share === undefined ? '—' : `${(share * 100).toFixed(1)}%`;
}
