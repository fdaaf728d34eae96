import type { AlertSource, ErrorDetail } from '@gantry/model';
import type { AlertWrite } from '@gantry/store/sqlite-alert-statements';
import { entitiesOf } from './entities.ts';
import { fingerprint } from './fingerprint.ts';
import { normalizeAlert, type InboundAlert, type NormalizeReason, type RejectReason } from './normalize.ts';

export interface PrepareOptions {
  /** The team of a per-team path; absent on global paths, where `teamLabel` decides. */
  team?: string | undefined;
  teamLabel: string;
  source: AlertSource;
  now: number;
  resolveTimeoutMs: number;
}

/** A batch ready to store, or why it is refused (every problem, each with its reason for the counters). */
export type Prepared =
  | {
      ok: true;
      writes: AlertWrite[];
      /** The teams the batch binds to, each once. */
      teams: string[];
      /** How many alerts each normalization touched. */
      normalized: [NormalizeReason, number][];
    }
  | { ok: false; details: ErrorDetail[]; reasons: RejectReason[] };

/**
 * Checks and normalizes a batch (one bad alert refuses all of it: never a partial write), binds each alert
 * to its team and the entities its labels name, and fingerprints it. Pure: the ingest runs it on the event
 * loop or in its thread (ADR 0042).
 */
export function prepareAlerts(alerts: readonly InboundAlert[], options: PrepareOptions): Prepared {
  const { now, resolveTimeoutMs, teamLabel } = options;
  const writes: AlertWrite[] = [];
  const details: ErrorDetail[] = [];
  const reasons: RejectReason[] = [];
  const normalized = new Map<NormalizeReason, number>();
  const teams = new Set<string>();
  alerts.forEach((inbound, index) => {
    const outcome = normalizeAlert(inbound, `/${index}`, now, resolveTimeoutMs);
    if (!outcome.ok) {
      details.push(outcome.detail);
      reasons.push(outcome.reason);
      return;
    }
    for (const reason of outcome.normalized) normalized.set(reason, (normalized.get(reason) ?? 0) + 1);
    const team = options.team ?? outcome.alert.labels[teamLabel];
    if (!team) {
      details.push({ path: `/${index}/labels/${teamLabel}`, message: 'is required on this path' });
      reasons.push('no_team');
      return;
    }
    teams.add(team);
    writes.push({
      team,
      fingerprint: fingerprint(outcome.alert.labels),
      labels: outcome.alert.labels,
      annotations: outcome.alert.annotations,
      startsAt: outcome.alert.startsAt,
      endsAt: outcome.alert.endsAt,
      // An endsAt filled in (now + the resolve timeout) is Alertmanager's timeout: the store merges it with
      // the stored alert's end as Alertmanager does.
      endsTimeout: outcome.normalized.includes('ends_missing'),
      generatorURL: outcome.alert.generatorURL,
      source: options.source,
      entities: entitiesOf(outcome.alert.labels),
    });
  });
  if (details.length > 0) return { ok: false, details, reasons };
  return { ok: true, writes, teams: [...teams], normalized: [...normalized] };
}
