import {
  InputError,
  NotFoundError,
  decodeContinueToken,
  encodeContinueToken,
  type Risk,
  type RiskList,
  type RiskState,
} from '@gantry/model';
import { authorize, type Caller } from '@gantry/identity';
import type { RiskRepository } from '@gantry/store';

export interface RiskListQuery {
  state?: RiskState | 'all';
  /** `Inspection`, `Inspection/<name>`, `Inspection/<name>/<check>` (or Baseline). */
  source?: string;
  /** `Kind/name` or `Kind/cluster/name`. */
  entity?: string;
  minScore?: number;
  limit: number;
  continue?: string;
}

function isPosition(value: unknown): value is { seq: number } {
  return typeof value === 'object' && value !== null && Number.isSafeInteger((value as { seq: unknown }).seq);
}

/** A team's risk records, newest first, with the filters of `GET /api/teams/{team}/risks`. */
export class RiskService {
  constructor(private readonly risks: Pick<RiskRepository, 'list' | 'get'>) {}

  async list(caller: Caller, team: string, query: RiskListQuery): Promise<RiskList> {
    authorize(caller.principal, 'read', team, 'risks');
    if (query.minScore !== undefined && (query.minScore < 0 || query.minScore > 100))
      throw new InputError('minScore must be from 0 to 100', [
        { path: 'querystring/minScore', message: 'must be 0-100' },
      ]);
    const [sourceKind, sourceName, ...check] = query.source ? query.source.split('/') : [];
    const page = await this.risks.list({
      team,
      ...(query.state === 'all' ? {} : { state: query.state ?? 'open' }),
      ...(sourceKind ? { sourceKind } : {}),
      ...(sourceName ? { sourceName } : {}),
      ...(check.length > 0 ? { sourceCheck: check.join('/') } : {}),
      ...(query.entity ? { entity: query.entity } : {}),
      ...(query.minScore !== undefined ? { minScore: query.minScore } : {}),
      ...(query.continue ? { beforeSeq: decodeContinueToken(query.continue, isPosition).seq } : {}),
      limit: query.limit,
    });
    return {
      items: page.items,
      ...(page.nextBeforeSeq !== undefined
        ? { continue: encodeContinueToken({ seq: page.nextBeforeSeq }) }
        : {}),
    };
  }

  async get(caller: Caller, team: string, id: string): Promise<Risk> {
    authorize(caller.principal, 'read', team, 'risks');
    const risk = await this.risks.get(team, id);
    if (!risk) throw new NotFoundError(`no risk ${id} in team ${team}`);
    return risk;
  }
}
