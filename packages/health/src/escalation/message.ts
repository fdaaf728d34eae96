import { fingerprint } from '@gantry/alerts';
import type { WebhookMessage } from '@gantry/model';
import type { EntityRef, ExceptionView } from '../ports.ts';

/** Alertmanager's way of saying "no end known yet" in a webhook message. */
const UNKNOWN_END = '0001-01-01T00:00:00Z';
/** Entities listed in the `entities` annotation before "and N more". */
const LISTED_ENTITIES = 20;

/** Which escalation step a message is for. */
export interface StepInfo {
  channel: string;
  step: number;
  round: number;
  episode: number;
}

/** The labels of an entity kind that every entity of the exception shares (one cluster, one node...). */
const ENTITY_LABELS: readonly [EntityRef['kind'], string][] = [
  ['Application', 'application'],
  ['Component', 'component'],
  ['Cluster', 'cluster'],
  ['Namespace', 'namespace'],
  ['Node', 'node'],
];

/**
 * An exception as a channel is told about it: the Alertmanager v4 webhook message the channels already
 * speak, with one alert standing for the exception. Its labels: `alertname="GantryException"`, the
 * exception's id, team and severity (the same for every step, so the fingerprint is), and an entity label where all its entities of that
 * kind share one name; annotations: the title, the entities, the state, the step.
 */
export function exceptionMessage(view: ExceptionView, step: StepInfo, externalUrl: string): WebhookMessage {
  const labels: Record<string, string> = {
    alertname: 'GantryException',
    exception: view.id,
    team: view.team,
    severity: view.severity,
  };
  for (const [kind, label] of ENTITY_LABELS) {
    const names = new Set(view.entities.filter((e) => e.kind === kind).map((e) => e.name));
    if (names.size === 1) labels[label] = [...names][0]!;
  }
  if (view.level) labels['level'] = view.level;
  const annotations: Record<string, string> = {
    title: view.title,
    summary: view.title,
    entities: describeEntities(view.entities),
    state: view.state,
    escalation: `step ${step.step + 1}${step.round > 0 ? `, round ${step.round + 1}` : ''}`,
  };
  if (view.correlationKey) annotations['correlation_key'] = view.correlationKey;
  const generatorURL = `${externalUrl}/health/exceptions/${encodeURIComponent(view.team)}/${encodeURIComponent(view.id)}`;
  return {
    version: '4',
    groupKey: exceptionGroupKey(view.team, view.id),
    truncatedAlerts: 0,
    status: 'firing',
    receiver: step.channel,
    groupLabels: { exception: view.id },
    commonLabels: { ...labels },
    commonAnnotations: { ...annotations },
    externalURL: externalUrl,
    alerts: [
      {
        status: 'firing',
        labels,
        annotations,
        startsAt: view.openedAt,
        endsAt: UNKNOWN_END,
        generatorURL,
        fingerprint: fingerprint(labels),
      },
    ],
  };
}

/** The outbox group of an exception's notifications: one per exception, so they go out in order. */
export function exceptionGroupKey(team: string, exceptionId: string): string {
  return `health/${team}/${exceptionId}`;
}

function describeEntities(entities: readonly EntityRef[]): string {
  const names = entities.map(
    (e) => `${e.kind} ${[e.cluster, e.application, e.name].filter(Boolean).join('/')}`,
  );
  if (names.length <= LISTED_ENTITIES) return names.join(', ');
  return `${names.slice(0, LISTED_ENTITIES).join(', ')} and ${names.length - LISTED_ENTITIES} more`;
}
