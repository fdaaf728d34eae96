import type {
  DiagnosisTreeSpec,
  HealingBuiltinTreeList,
  HealingPolicySpec,
  HealingRun,
  HealingRunList,
  HealingScorecardList,
  HealingStats,
  Resource,
} from '@gantry/client';
import { apiRequest } from './client';
import { listAll } from './delivery';
import { getResource } from './resources';

/** The healing kinds as the console addresses them (packages/model/src/kinds/healing-policy.ts, diagnosis-tree.ts). */
export const healingPolicyKind = { plural: 'healingpolicies', scope: 'Team' } as const;
export const diagnosisTreeKind = { plural: 'diagnosistrees', scope: 'Team' } as const;

export type HealingPolicy = Resource & { spec: HealingPolicySpec };
export type DiagnosisTree = Resource & { spec: DiagnosisTreeSpec };

const healingPath = (team: string) => `/api/teams/${encodeURIComponent(team)}/healing`;

export interface HealingRunFilter {
  policy?: string;
  phase?: string;
  state?: 'active' | 'ended';
  entity?: string;
  limit?: number;
  continue?: string;
}

export function listHealingRuns(team: string, filter: HealingRunFilter, signal?: AbortSignal) {
  return apiRequest<HealingRunList>(`${healingPath(team)}/runs`, {
    query: { limit: 100, ...filter },
    ...(signal ? { signal } : {}),
  });
}

export function getHealingRun(team: string, id: string, signal?: AbortSignal) {
  return apiRequest<HealingRun>(`${healingPath(team)}/runs/${encodeURIComponent(id)}`, {
    ...(signal ? { signal } : {}),
  });
}

/** Approve or reject the action a run waits for, with why (recorded with who). */
export function decideHealingRun(team: string, id: string, verb: 'approve' | 'reject', reason: string) {
  return apiRequest<HealingRun>(`${healingPath(team)}/runs/${encodeURIComponent(id)}/${verb}`, {
    method: 'POST',
    body: { reason },
  });
}

export function getHealingStats(team: string, since: string | undefined, signal?: AbortSignal) {
  return apiRequest<HealingStats>(`${healingPath(team)}/stats`, {
    query: since ? { since } : {},
    ...(signal ? { signal } : {}),
  });
}

export function getHealingScorecard(team: string, signal?: AbortSignal) {
  return apiRequest<HealingScorecardList>(`${healingPath(team)}/scorecard`, {
    ...(signal ? { signal } : {}),
  });
}

export async function listHealingPolicies(team: string, signal?: AbortSignal): Promise<HealingPolicy[]> {
  return (await listAll(healingPolicyKind, { team, ...(signal ? { signal } : {}) })) as HealingPolicy[];
}

/** A tree's spec: a built-in one (`builtin/...`) from the server's list, else the team's DiagnosisTree. */
export async function getTreeSpec(
  team: string,
  name: string,
  signal?: AbortSignal,
): Promise<DiagnosisTreeSpec> {
  if (name.startsWith('builtin/')) {
    const list = await apiRequest<HealingBuiltinTreeList>('/api/healing/builtin-trees', {
      ...(signal ? { signal } : {}),
    });
    const found = list.items.find((item) => item.name === name);
    if (!found) throw new Error(`no built-in tree ${name}`);
    return found.spec;
  }
  return ((await getResource({ kind: diagnosisTreeKind, team, name }, signal)) as DiagnosisTree).spec;
}
