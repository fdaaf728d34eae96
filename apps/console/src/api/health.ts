import type {
  BaselineSeriesView,
  ExceptionList,
  ExceptionRecord,
  ExceptionReviewPatch,
  ExceptionSeverity,
  ExceptionTimeline,
  InspectionRunDiff,
  InspectionRunPage,
  InspectionRunWithResults,
  HealthStats,
  HealthStreamPage,
  RiskList,
  StatsDimensionName,
} from '@gantry/client';
import { apiRequest } from './client';

/** The Inspection kind as the console addresses it (packages/model/src/kinds/inspection.ts). */
export const inspectionKind = { plural: 'inspections', scope: 'Team' } as const;

/** The Baseline kind as the console addresses it (packages/model/src/kinds/baseline.ts). */
export const baselineKind = { plural: 'baselines', scope: 'Team' } as const;

const team = (name: string) => `/api/teams/${encodeURIComponent(name)}`;
const exception = (teamName: string, id: string) => `${team(teamName)}/exceptions/${encodeURIComponent(id)}`;

/** The filters of the exception and failure lists (docs/reference/exceptions.md). */
export interface ExceptionFilter {
  /** One state or several, comma-separated; `active` = open, acknowledged, mitigated. */
  readonly state?: string;
  readonly severity?: ExceptionSeverity;
  /** One level or several, comma-separated (`P1,P0`). */
  readonly level?: string;
  /** `Kind/name`. */
  readonly entity?: string;
  /** With `entity`: its cluster. */
  readonly cluster?: string;
  readonly assignee?: string;
}

/** A team's exceptions (or only its failures), newest first. */
export function listExceptions(
  teamName: string,
  filter: ExceptionFilter,
  options: { failuresOnly?: boolean; continueToken?: string; signal?: AbortSignal } = {},
): Promise<ExceptionList> {
  return apiRequest<ExceptionList>(`${team(teamName)}/${options.failuresOnly ? 'failures' : 'exceptions'}`, {
    query: { ...filter, limit: 200, continue: options.continueToken },
    signal: options.signal,
  });
}

export function getException(teamName: string, id: string, signal?: AbortSignal): Promise<ExceptionRecord> {
  return apiRequest<ExceptionRecord>(exception(teamName, id), { signal });
}

export function getExceptionTimeline(
  teamName: string,
  id: string,
  signal?: AbortSignal,
): Promise<ExceptionTimeline> {
  return apiRequest<ExceptionTimeline>(`${exception(teamName, id)}/timeline`, { signal });
}

/** The lifecycle transitions that take only a reason. */
export type ExceptionTransition = 'acknowledge' | 'mitigate' | 'resolve' | 'reopen';

export function transitionException(
  teamName: string,
  id: string,
  action: ExceptionTransition,
  reason: string | undefined,
): Promise<ExceptionRecord> {
  return apiRequest<ExceptionRecord>(`${exception(teamName, id)}/${action}`, {
    method: 'POST',
    body: reason ? { reason } : {},
  });
}

export function assignException(
  teamName: string,
  id: string,
  assignee: string | null,
  reason: string | undefined,
): Promise<ExceptionRecord> {
  return apiRequest<ExceptionRecord>(`${exception(teamName, id)}/assign`, {
    method: 'POST',
    body: { assignee, ...(reason ? { reason } : {}) },
  });
}

export function commentException(teamName: string, id: string, message: string): Promise<ExceptionRecord> {
  return apiRequest<ExceptionRecord>(`${exception(teamName, id)}/comment`, {
    method: 'POST',
    body: { message },
  });
}

/** Merges exception `from` into `into` (the survivor). */
export function mergeException(
  teamName: string,
  into: string,
  from: string,
  reason: string | undefined,
): Promise<ExceptionRecord> {
  return apiRequest<ExceptionRecord>(`${exception(teamName, into)}/merge`, {
    method: 'POST',
    body: { from, ...(reason ? { reason } : {}) },
  });
}

/** The failure review: impact, root cause, follow-ups (null clears a field). */
export function reviewException(
  teamName: string,
  id: string,
  patch: ExceptionReviewPatch,
): Promise<ExceptionRecord> {
  return apiRequest<ExceptionRecord>(exception(teamName, id), { method: 'PATCH', body: patch });
}

/** The filters of the risk list (docs/reference/risks.md). */
export interface RiskFilter {
  readonly state?: 'open' | 'gone' | 'all';
  /** `Inspection`, `Inspection/<name>`, `Inspection/<name>/<check>`, or the same with `Baseline`. */
  readonly source?: string;
  readonly entity?: string;
  readonly minScore?: number;
}

export function listRisks(teamName: string, filter: RiskFilter, signal?: AbortSignal): Promise<RiskList> {
  return apiRequest<RiskList>(`${team(teamName)}/risks`, {
    query: {
      ...filter,
      minScore: filter.minScore === undefined ? undefined : String(filter.minScore),
      limit: 500,
    },
    signal,
  });
}

export function listInspectionRuns(
  teamName: string,
  inspection: string,
  signal?: AbortSignal,
): Promise<InspectionRunPage> {
  return apiRequest<InspectionRunPage>(
    `${team(teamName)}/inspections/${encodeURIComponent(inspection)}/runs`,
    { query: { limit: 100 }, signal },
  );
}

/** Runs an Inspection now on the server; answers with the finished run. */
export function runInspection(teamName: string, inspection: string): Promise<InspectionRunWithResults> {
  return apiRequest<InspectionRunWithResults>(
    `${team(teamName)}/inspections/${encodeURIComponent(inspection)}/run`,
    { method: 'POST' },
  );
}

export function getInspectionRun(
  teamName: string,
  id: string,
  signal?: AbortSignal,
): Promise<InspectionRunWithResults> {
  return apiRequest<InspectionRunWithResults>(`${team(teamName)}/inspection-runs/${encodeURIComponent(id)}`, {
    signal,
  });
}

/** What changed from run `against` (default: the run before) to run `id`. */
export function diffInspectionRuns(
  teamName: string,
  id: string,
  against: string | undefined,
  signal?: AbortSignal,
): Promise<InspectionRunDiff> {
  return apiRequest<InspectionRunDiff>(`${team(teamName)}/inspection-runs/${encodeURIComponent(id)}/diff`, {
    query: { against },
    signal,
  });
}

/** A team's failure statistics over [from, to), grouped by `by` (docs/reference/health-stats.md). */
export function getHealthStats(
  teamName: string,
  range: { from: string; to: string; by: StatsDimensionName },
  signal?: AbortSignal,
): Promise<HealthStats> {
  return apiRequest<HealthStats>(`${team(teamName)}/stats`, { query: { ...range }, signal });
}

/** One series of a Baseline (its key, as a Baseline risk's `source.check`) with its band and deviations. */
export function getBaselineSeries(
  teamName: string,
  baseline: string,
  series: string,
  signal?: AbortSignal,
): Promise<BaselineSeriesView> {
  return apiRequest<BaselineSeriesView>(
    `${team(teamName)}/baselines/${encodeURIComponent(baseline)}/series`,
    {
      query: { series },
      signal,
    },
  );
}

/** The filters of the health stream (ADR 0027); each is a query parameter of the API and of the page. */
export interface HealthStreamFilter {
  /** Comma-separated kinds: event, alert, risk, exception, failure. */
  readonly kinds?: string;
  readonly severity?: ExceptionSeverity;
  /** Comma-separated levels (`P1,P0`). */
  readonly level?: string;
  /** `Kind/name`. */
  readonly entity?: string;
  readonly cluster?: string;
  /** Text the item contains. */
  readonly q?: string;
}

/**
 * A team's health stream: without `since` the newest changes first (older ones by `continueToken`), with
 * `since` (an answer's cursor) what changed after it, oldest first.
 */
export function readHealthStream(
  teamName: string,
  filter: HealthStreamFilter,
  options: { since?: string; continueToken?: string; signal?: AbortSignal } = {},
): Promise<HealthStreamPage> {
  return apiRequest<HealthStreamPage>(`${team(teamName)}/health/stream`, {
    query: { ...filter, since: options.since, continue: options.continueToken, limit: 200 },
    signal: options.signal,
  });
}
