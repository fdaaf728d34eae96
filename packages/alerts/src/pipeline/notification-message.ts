import type { WebhookMessage } from '@gantry/model';
import type { GroupNotification } from '../dispatch/types.ts';
import type { NotificationInput } from '../notify/ports.ts';

/** Alertmanager's way of saying "no end known yet" in a webhook message. */
const UNKNOWN_END = '0001-01-01T00:00:00Z';

/**
 * A dispatcher's group notification as the outbox takes it: the Alertmanager v4 webhook message, under
 * the notification's id, so a notification a new leader makes again after a crash is one outbox row.
 */
export function notificationInput(notification: GroupNotification, externalUrl: string): NotificationInput {
  return {
    team: notification.team,
    channel: notification.receiver,
    groupKey: notification.groupKey,
    dedupKey: notification.id,
    message: webhookMessage(notification, externalUrl),
  };
}

export function webhookMessage(notification: GroupNotification, externalUrl: string): WebhookMessage {
  return {
    version: '4',
    groupKey: notification.groupKey,
    truncatedAlerts: 0,
    status: notification.status,
    receiver: notification.receiver,
    groupLabels: { ...notification.groupLabels },
    commonLabels: { ...notification.commonLabels },
    commonAnnotations: { ...notification.commonAnnotations },
    externalURL: externalUrl,
    alerts: notification.alerts.map((alert) => ({
      status: alert.status,
      labels: { ...alert.labels },
      annotations: { ...alert.annotations },
      startsAt: new Date(alert.startsAt).toISOString(),
      endsAt: alert.endsAt === null ? UNKNOWN_END : new Date(alert.endsAt).toISOString(),
      generatorURL: alert.generatorURL,
      fingerprint: alert.fingerprint,
    })),
  };
}
