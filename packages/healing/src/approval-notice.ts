import type { HealingPolicySpec, WebhookMessage } from '@gantry/model';
import type { WriteFence } from '@gantry/store';
import type { HealingEntity, HealingNotifier } from './ports.ts';
import { healingRunLink, healingWebhookMessage } from './run-message.ts';

/** What the controller says when a risky action starts waiting for a person. */
export interface ApprovalRequestNotice {
  team: string;
  policy: string;
  runId: string;
  entity: HealingEntity;
  action: string;
  /** The request's position on the run (its index in the run's approvals): one notice per request. */
  request: number;
  expiresAt: string;
  summary: string;
  channels: readonly string[];
  fence?: WriteFence;
}

/** Tells people a risky action waits for them; idempotent per run and request. */
export interface ApprovalNotifier {
  requested(notice: ApprovalRequestNotice): Promise<void>;
}

/** The link an approval request carries: the run's page, opened for a decision. */
export function healingApprovalLink(externalUrl: string, team: string, runId: string): string {
  return `${healingRunLink(externalUrl, team, runId)}?decide=1`;
}

/** Where an approval request goes: the channels of the page that ends the policy's ladder. */
export function approvalChannels(spec: HealingPolicySpec): string[] {
  const last = spec.escalation.rungs.at(-1)?.action;
  return [...(spec.actions.find((action) => action.name === last)?.notify?.channels ?? [])];
}

export interface ApprovalNotifierDeps {
  notifier: HealingNotifier;
  /** The URL people reach Gantry at (`GANTRY_EXTERNAL_URL`), for the link. */
  externalUrl: string;
  now: () => number;
}

/**
 * Approval requests through the notification outbox (ADR 0041): one message per channel, deduplicated by
 * the run and the request, whose `generatorURL` and `approve_url` annotation are the run's page in the
 * console with `?decide=1` — the page that shows approve and reject. The link carries no token: the
 * console asks the person to sign in, and the decision is theirs, checked and audited as any other.
 */
export function createApprovalNotifier(deps: ApprovalNotifierDeps): ApprovalNotifier {
  return {
    async requested(notice) {
      for (const channel of notice.channels)
        await deps.notifier.enqueue(
          {
            team: notice.team,
            channel,
            groupKey: `healing/${notice.team}/${notice.runId}`,
            dedupKey: `healing/${notice.team}/${notice.runId}/approval/${notice.request}/${channel}`,
            message: approvalMessage(notice, channel, deps.now(), deps.externalUrl),
          },
          notice.fence ? { fence: notice.fence } : {},
        );
    },
  };
}

/** An Alertmanager v4 message standing for an approval request. */
export function approvalMessage(
  notice: ApprovalRequestNotice,
  channel: string,
  now: number,
  externalUrl: string,
): WebhookMessage {
  const link = healingApprovalLink(externalUrl, notice.team, notice.runId);
  const labels: Record<string, string> = {
    alertname: 'GantryHealingApproval',
    team: notice.team,
    policy: notice.policy,
    healing_run: notice.runId,
    action: notice.action,
    severity: 'warning',
    [notice.entity.kind.toLowerCase()]: notice.entity.name,
  };
  if (notice.entity.cluster) labels['cluster'] = notice.entity.cluster;
  const annotations: Record<string, string> = {
    title: `Healing waits for approval: ${notice.action} on ${notice.entity.name}`,
    summary: `${notice.summary} — approve or reject before ${notice.expiresAt}: ${link}`.slice(0, 4000),
    approve_url: link,
    expires_at: notice.expiresAt,
  };
  return healingWebhookMessage({
    team: notice.team,
    runId: notice.runId,
    channel,
    labels,
    annotations,
    now,
    externalUrl,
    link,
    endsAt: notice.expiresAt,
  });
}
