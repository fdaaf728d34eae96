import {
  ENTITY_KINDS,
  EXCEPTION_STATES,
  InputError,
  decodeContinueToken,
  encodeContinueToken,
  type ExceptionQuery,
  type ExceptionRecordState,
  type FailureLevelName,
} from '@gantry/model';
import type { ExceptionListQuery } from '@gantry/store';

/** The list query as the API takes it (strings), checked by the route's schema first. */
export type ExceptionListOptions = ExceptionQuery;

const ACTIVE: readonly ExceptionRecordState[] = ['open', 'acknowledged', 'mitigated'];

function isPosition(value: unknown): value is { seq: number } {
  return typeof value === 'object' && value !== null && Number.isSafeInteger((value as { seq: unknown }).seq);
}

function time(value: string, name: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new InputError(`${name} is not an RFC 3339 time`, [
      { path: `querystring/${name}`, message: 'must be an RFC 3339 time' },
    ]);
  return new Date(ms).toISOString();
}

/** Turns the API's query into the repository's, refusing what the schema cannot (400 with the parameter). */
export function decodeListQuery(query: ExceptionListOptions): Omit<ExceptionListQuery, 'teams'> {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
    throw new InputError('limit must be from 1 to 1000', [
      { path: 'querystring/limit', message: 'must be 1-1000' },
    ]);
  let states: ExceptionRecordState[] | undefined;
  if (query.state) {
    states = [];
    for (const state of query.state.split(',')) {
      if (state === 'active') states.push(...ACTIVE);
      else if ((EXCEPTION_STATES as readonly string[]).includes(state))
        states.push(state as ExceptionRecordState);
      else
        throw new InputError(`unknown state ${state}`, [
          { path: 'querystring/state', message: `must be one of ${EXCEPTION_STATES.join(', ')}, active` },
        ]);
    }
  }
  let entity: ExceptionListQuery['entity'];
  if (query.entity) {
    const slash = query.entity.indexOf('/');
    const kind = query.entity.slice(0, slash);
    const name = query.entity.slice(slash + 1);
    if (slash < 1 || name === '' || !(ENTITY_KINDS as readonly string[]).includes(kind))
      throw new InputError('entity must be Kind/name', [
        { path: 'querystring/entity', message: `must be Kind/name, Kind one of ${ENTITY_KINDS.join(', ')}` },
      ]);
    entity = { kind, name, ...(query.cluster !== undefined ? { cluster: query.cluster } : {}) };
  }
  return {
    ...(states ? { states } : {}),
    ...(query.severity ? { severity: query.severity } : {}),
    ...(query.level ? { levels: query.level.split(',') as FailureLevelName[] } : {}),
    ...(entity ? { entity } : {}),
    ...(query.assignee !== undefined ? { assignee: query.assignee } : {}),
    ...(query.since ? { since: time(query.since, 'since') } : {}),
    ...(query.until ? { until: time(query.until, 'until') } : {}),
    ...(query.continue ? { beforeSeq: decodeContinueToken(query.continue, isPosition).seq } : {}),
    limit,
  };
}

export function encodeNext(nextBeforeSeq: number | undefined): { continue?: string } {
  return nextBeforeSeq !== undefined ? { continue: encodeContinueToken({ seq: nextBeforeSeq }) } : {};
}
