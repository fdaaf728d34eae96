import { createHash } from 'node:crypto';
import type { Caller } from '@gantry/identity';
import type { CreateExceptionRequest, ExceptionRecord } from '@gantry/model';
import type { AlertRepository, ExceptionRepository } from '@gantry/store';
import type { ChangeExceptionSink, ChangeHealthSignals, GateEntity, HealthSignal } from './ports.ts';

const ACTIVE = ['open', 'acknowledged', 'mitigated'] as const;
const PAGE = 500;

/**
 * An exception's entity is the gate's entity, or (for an application on a cluster) one of its parts: a
 * Component of the application on that cluster. An exception that names no cluster for an application
 * (or its component) concerns it everywhere, so it counts on every cluster of the batch (ADR 0039).
 */
function sameEntity(
  entity: GateEntity,
  ref: { kind: string; name: string; cluster?: string; application?: string },
): boolean {
  if (entity.kind === 'Application') {
    const named =
      (ref.kind === 'Application' && ref.name === entity.name) ||
      (ref.kind === 'Component' && ref.application === entity.name);
    return named && (ref.cluster === undefined || ref.cluster === (entity.cluster ?? ''));
  }
  return (
    ref.kind === entity.kind && ref.name === entity.name && (ref.cluster ?? '') === (entity.cluster ?? '')
  );
}

/**
 * An alert's entities and labels name the entity: a node by cluster and node, an application on a cluster
 * by the application (`app.gantry.dev/name` and the forms Prometheus gives it) and the cluster — an alert
 * that names the application and no cluster counts on every cluster (a Prometheus without a `cluster`
 * external label cannot say which), one that names another cluster does not — and a host by `host` or
 * `instance`.
 */
function alertNames(
  entity: GateEntity,
  alert: {
    entities: { cluster?: string; node?: string; application?: string };
    labels: Record<string, string>;
  },
): boolean {
  if (entity.kind === 'Node')
    return alert.entities.node === entity.name && alert.entities.cluster === entity.cluster;
  if (entity.kind === 'Application')
    return (
      alert.entities.application === entity.name &&
      (alert.entities.cluster === undefined || alert.entities.cluster === entity.cluster)
    );
  const instance = alert.labels.instance ?? '';
  return (
    alert.labels.host === entity.name || instance === entity.name || instance.startsWith(`${entity.name}:`)
  );
}

/** The health gate's and the automatic pause's reads, over the alert and exception repositories. */
export function createStoreHealthSignals(deps: {
  alerts: Pick<AlertRepository, 'query'>;
  exceptions: Pick<ExceptionRepository, 'list'>;
  now: () => number;
}): ChangeHealthSignals {
  return {
    async alertsSince(team, entities, since): Promise<HealthSignal[]> {
      if (entities.length === 0) return [];
      const found: HealthSignal[] = [];
      let beforeSeq: number | undefined;
      do {
        const page = await deps.alerts.query({
          teams: [team],
          state: 'firing',
          now: new Date(deps.now()).toISOString(),
          since,
          limit: PAGE,
          ...(beforeSeq !== undefined ? { beforeSeq } : {}),
        });
        for (const alert of page.items)
          if (alert.startsAt >= since && entities.some((entity) => alertNames(entity, alert)))
            found.push({
              id: alert.fingerprint,
              title: alert.labels.alertname ?? alert.fingerprint,
              at: alert.startsAt,
            });
        beforeSeq = page.nextBeforeSeq;
      } while (beforeSeq !== undefined && found.length < PAGE);
      return found;
    },

    async openExceptionsSince(team, entities, since): Promise<HealthSignal[]> {
      if (entities.length === 0) return [];
      const page = await deps.exceptions.list({ teams: [team], states: ACTIVE, since, limit: PAGE });
      return page.items
        .filter(
          (record) =>
            record.episodeOpenedAt >= since &&
            record.entities.some((ref) => entities.some((entity) => sameEntity(entity, ref))),
        )
        .map((record) => ({ id: record.id, title: record.title, at: record.episodeOpenedAt }));
    },
  };
}

/**
 * The Alert policy's exceptions through the health center's exception service (opened by hand, by a
 * principal named after the step's key, so a repeat after a crash finds the one it opened), and the
 * links written on the exceptions' timelines.
 */
export function createExceptionSink(deps: {
  exceptions: {
    create(caller: Caller, team: string, input: CreateExceptionRequest): Promise<ExceptionRecord>;
  };
  repository: Pick<ExceptionRepository, 'list' | 'appendTimeline'>;
  actor: string;
}): ChangeExceptionSink {
  return {
    async open(input) {
      const hash = createHash('sha256').update(input.key).digest('hex').slice(0, 16);
      const username = `change/${input.change}#${hash}`;
      const page = await deps.repository.list({
        teams: [input.team],
        limit: PAGE,
        since: input.at.toISOString(),
      });
      const existing = page.items.find((record) => record.createdBy === username);
      if (existing) return { exceptionId: existing.id };
      const record = await deps.exceptions.create(
        {
          principal: { username, admin: true, teams: new Map() },
          source: `${deps.actor} ${input.team}/${input.change}`,
        },
        input.team,
        {
          title: input.title,
          severity: input.severity,
          entities: input.entities.map((entity) => ({
            kind: entity.kind as CreateExceptionRequest['entities'][number]['kind'],
            name: entity.name,
            ...(entity.cluster !== undefined ? { cluster: entity.cluster } : {}),
          })),
          reason: `change ${input.change}: its failure policy is Alert`,
        },
      );
      return { exceptionId: record.id };
    },
    async link(team, exceptionId, message, at) {
      await deps.repository.appendTimeline([
        {
          exceptionId,
          team,
          type: 'comment',
          at: at.toISOString(),
          actor: deps.actor,
          message,
        },
      ]);
    },
  };
}
