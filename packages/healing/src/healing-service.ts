import {
  ConflictError,
  ErrorCodes,
  NotFoundError,
  decodeContinueToken,
  encodeContinueToken,
} from '@gantry/model';
import type { HealingRepository, StoredHealingRun } from '@gantry/store';
import { decideApproval } from './healing-controller.ts';

export interface HealingRunListQuery {
  team: string;
  policy?: string;
  entity?: string;
  phase?: string;
  active?: boolean;
  since?: string;
  until?: string;
  limit: number;
  continue?: string;
}

type Position = { createdAt: string; id: string };
const isPosition = (value: unknown): value is Position =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Position).createdAt === 'string' &&
  typeof (value as Position).id === 'string';

/**
 * Healing runs as the API will serve them: listed newest first with continue tokens, read one by one,
 * and their pending approvals decided by a person (`409 GANTRY_E_HEALING_RUN_STATE` when the run is not
 * waiting for one or the request expired). `onDecided` wakes the controller so the run moves at once.
 */
export class HealingRunService {
  constructor(
    private readonly deps: {
      runs: Pick<HealingRepository, 'get' | 'update' | 'list'>;
      now: () => number;
      onDecided?: () => void;
    },
  ) {}

  async list(query: HealingRunListQuery): Promise<{ items: StoredHealingRun[]; continue?: string }> {
    const after = query.continue ? decodeContinueToken(query.continue, isPosition) : undefined;
    const page = await this.deps.runs.list({
      team: query.team,
      limit: query.limit,
      ...(query.policy ? { policy: query.policy } : {}),
      ...(query.entity ? { entity: query.entity } : {}),
      ...(query.phase ? { phase: query.phase } : {}),
      ...(query.active !== undefined ? { active: query.active } : {}),
      ...(query.since ? { since: query.since } : {}),
      ...(query.until ? { until: query.until } : {}),
      ...(after ? { after } : {}),
    });
    return { items: page.items, ...(page.next ? { continue: encodeContinueToken(page.next) } : {}) };
  }

  async get(team: string, id: string): Promise<StoredHealingRun> {
    const run = await this.deps.runs.get(team, id);
    if (!run) throw new NotFoundError(`healing run ${id} not found in team ${team}`);
    return run;
  }

  async decide(
    team: string,
    id: string,
    decision: 'approved' | 'rejected',
    actor: string,
    reason?: string,
  ): Promise<StoredHealingRun> {
    const result = await decideApproval(this.deps.runs, team, id, decision, actor, this.deps.now(), reason);
    if (!result.ok) {
      if (result.reason === 'NotFound')
        throw new NotFoundError(`healing run ${id} not found in team ${team}`);
      throw new ConflictError(
        result.reason === 'Expired'
          ? `the approval request of healing run ${id} has expired`
          : result.reason === 'Superseded'
            ? `healing run ${id} moved on meanwhile; read it again`
            : `healing run ${id} is not waiting for an approval`,
        ErrorCodes.healingRunState,
        [{ path: '', message: result.reason }],
      );
    }
    this.deps.onDecided?.();
    return this.get(team, id);
  }
}
