import {
  InputError,
  NotAllowedError,
  NotFoundError,
  type AlertSource,
  type ErrorDetail,
} from '@gantry/model';
import { can, type Caller } from '@gantry/identity';
import type { AlertsIngested, AlertRepository, AlertWrite } from '@gantry/store';
import { entitiesOf } from './entities.ts';
import { fingerprint } from './fingerprint.ts';
import { normalizeAlert, type InboundAlert, type NormalizeReason, type RejectReason } from './normalize.ts';

/** Counters the ingest reports to (`/metrics`: gantry_alerts_*). */
export interface IngestMetrics {
  received(source: AlertSource, count: number): void;
  rejected(reason: RejectReason, count: number): void;
  normalized(reason: NormalizeReason, count: number): void;
}

export interface AlertIngestOptions {
  repository: Pick<AlertRepository, 'upsert'> & Partial<Pick<AlertRepository, 'writesOffThread'>>;
  /** Whether a team exists. */
  teamExists(team: string): Promise<boolean>;
  metrics: IngestMetrics;
  now: () => number;
  /** endsAt of an alert posted without one: now + this (Alertmanager's resolve_timeout). */
  resolveTimeoutMs: number;
  /** The label that binds an alert posted on a global path to its team. */
  teamLabel: string;
}

export interface IngestRequest {
  /** The team of a per-team path; absent on global paths, where `teamLabel` decides. */
  team?: string;
  source: AlertSource;
  alerts: readonly InboundAlert[];
}

/** An ingest refused on the way in: 400, or 404 for a team that does not exist. */
export class AlertRejectedError extends InputError {}

interface Pending {
  alerts: AlertWrite[];
  resolve(change: AlertsIngested): void;
  reject(error: unknown): void;
}

/**
 * Alert ingest: checks a whole batch first (one bad alert refuses all of it: never a partial write),
 * binds each alert to its team and entities, and stores it. Batches that arrive while a write is in
 * flight are committed together in the next transaction (group commit); each request is answered once
 * the transaction holding its alerts has committed.
 */
export class AlertIngest {
  #queue: Pending[] = [];
  #writing = false;
  readonly #known = new Map<string, number>();

  constructor(private readonly options: AlertIngestOptions) {}

  async ingest(caller: Caller, request: IngestRequest): Promise<{ accepted: number }> {
    const { metrics, now: clock, resolveTimeoutMs, teamLabel } = this.options;
    const now = clock();
    const writes: AlertWrite[] = [];
    const details: ErrorDetail[] = [];
    const reasons: RejectReason[] = [];
    const normalized = new Map<NormalizeReason, number>();
    request.alerts.forEach((inbound, index) => {
      const outcome = normalizeAlert(inbound, `/${index}`, now, resolveTimeoutMs);
      if (!outcome.ok) {
        details.push(outcome.detail);
        reasons.push(outcome.reason);
        return;
      }
      for (const reason of outcome.normalized) normalized.set(reason, (normalized.get(reason) ?? 0) + 1);
      const team = request.team ?? outcome.alert.labels[teamLabel];
      if (!team) {
        details.push({ path: `/${index}/labels/${teamLabel}`, message: 'is required on this path' });
        reasons.push('no_team');
        return;
      }
      writes.push({
        team,
        fingerprint: fingerprint(outcome.alert.labels),
        labels: outcome.alert.labels,
        annotations: outcome.alert.annotations,
        startsAt: outcome.alert.startsAt,
        endsAt: outcome.alert.endsAt,
        generatorURL: outcome.alert.generatorURL,
        source: request.source,
        entities: entitiesOf(outcome.alert.labels),
      });
    });
    if (details.length > 0) {
      for (const reason of reasons) metrics.rejected(reason, 1);
      throw new AlertRejectedError(
        `${details.length} of ${request.alerts.length} alerts refused, none stored: ${details
          .slice(0, 5)
          .map((d) => `${d.path} ${d.message}`)
          .join('; ')}`,
        details,
      );
    }
    await this.#checkTeams(caller, [...new Set(writes.map((write) => write.team))], request.alerts.length);
    for (const [reason, count] of normalized) metrics.normalized(reason, count);
    if (writes.length > 0) await this.#commit(writes);
    metrics.received(request.source, writes.length);
    return { accepted: writes.length };
  }

  /** Ingest needs `write` (operator or above) in every team the batch binds to; teams must exist. */
  async #checkTeams(caller: Caller, teams: readonly string[], count: number): Promise<void> {
    const { metrics } = this.options;
    for (const team of teams) {
      if (!can(caller.principal, 'write', team)) {
        metrics.rejected('forbidden', count);
        throw new NotAllowedError(
          `${caller.principal.username} may not post alerts to team ${team} (operator or team-admin required)`,
        );
      }
      if (!(await this.#teamExists(team))) {
        metrics.rejected('unknown_team', count);
        throw new NotFoundError(`team ${team} not found`);
      }
    }
  }

  /** Team existence, remembered for a few seconds: a storm of posts does not read the team each time. */
  async #teamExists(team: string): Promise<boolean> {
    const now = this.options.now();
    const until = this.#known.get(team);
    if (until !== undefined && until > now) return true;
    const exists = await this.options.teamExists(team);
    if (exists) this.#known.set(team, now + 5_000);
    else this.#known.delete(team);
    return exists;
  }

  #commit(alerts: AlertWrite[]): Promise<AlertsIngested> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ alerts, resolve, reject });
      if (this.#writing) return;
      // The first write waits for the end of this turn of the event loop: every request whose body
      // arrived in it joins the same transaction. (SQLite writes synchronously: without this wait a write
      // would never be in flight when the next request is read, and nothing would ever be grouped.)
      this.#writing = true;
      // Writes that leave the event loop free (SQLite's writer thread, ADR 0038) start at once: the
      // requests read while it runs form the next group, and the thread writes while the loop parses.
      if (this.options.repository.writesOffThread) void this.#drain();
      else setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.#write(batch);
      }
    } finally {
      this.#writing = false;
    }
  }

  async #write(batch: Pending[]): Promise<void> {
    const updatedAt = new Date(this.options.now()).toISOString();
    try {
      const change = await this.options.repository.upsert(
        batch.flatMap((pending) => pending.alerts),
        updatedAt,
      );
      for (const pending of batch) pending.resolve(change);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One request's alerts must not fail another's: each alone, in its own transaction.
      for (const pending of batch) await this.#write([pending]);
    }
  }
}
