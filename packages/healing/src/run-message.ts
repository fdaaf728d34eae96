import { createHash } from 'node:crypto';
import type { WebhookMessage } from '@gantry/model';

/** The console's page of a run, where approve and reject are (`/healing/teams/:team/runs/:id`). */
export function healingRunLink(externalUrl: string, team: string, runId: string): string {
  return `${externalUrl.replace(/\/+$/, '')}/healing/teams/${encodeURIComponent(team)}/runs/${encodeURIComponent(runId)}`;
}

/**
 * The Alertmanager v4 message of one healing run (its action, page or approval request): one firing alert
 * with the run's labels and annotations, grouped by the run, linking to `link`.
 */
export function healingWebhookMessage(message: {
  team: string;
  runId: string;
  channel: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  now: number;
  externalUrl: string;
  link: string;
  /** When the alert stops being relevant (an approval's expiry); absent: open-ended. */
  endsAt?: string;
}): WebhookMessage {
  const { labels, annotations } = message;
  return {
    version: '4',
    groupKey: `healing/${message.team}/${message.runId}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: message.channel,
    groupLabels: { healing_run: message.runId },
    commonLabels: { ...labels },
    commonAnnotations: { ...annotations },
    externalURL: message.externalUrl,
    alerts: [
      {
        status: 'firing',
        labels,
        annotations,
        startsAt: new Date(message.now).toISOString(),
        endsAt: message.endsAt ?? '0001-01-01T00:00:00Z',
        generatorURL: message.link,
        fingerprint: createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 16),
      },
    ],
  };
}
