import { createHash } from 'node:crypto';
import { healingLabels, type WebhookMessage } from '@gantry/model';
import { healingRunLink, healingWebhookMessage } from './run-message.ts';
import { durationMs } from './duration.ts';
import { fillKubernetesJob } from './kubernetes-job-template.ts';
import type {
  ActionProgress,
  ActionStart,
  ApplicationRevisions,
  ChangePauser,
  ChangeSubmitter,
  HealingActionRequest,
  HealingActuator,
  HealingEntity,
  HealingNotifier,
  SilenceCreator,
} from './ports.ts';

export interface ChangeActuatorDeps {
  changes: ChangeSubmitter;
  notifier: HealingNotifier;
  silences: SilenceCreator;
  now: () => number;
  /** The server's external URL, for links in notifications. */
  externalUrl: string;
  /** For `applicationRollback`; absent, such an action fails (`NoRevisions`). */
  revisions?: ApplicationRevisions;
  /** For `pauseChanges`; absent, such an action fails (`NoChangeEngine`). */
  pauser?: ChangePauser;
}

/** The names a change engine gives the entity (`cluster/node`, the host, `cluster/application`). */
export function changeEntityNames(entity: HealingEntity): string[] {
  const names = new Set<string>();
  if (entity.kind === 'Node' && entity.cluster) names.add(`${entity.cluster}/${entity.name}`);
  if (entity.kind === 'Host') names.add(entity.name);
  if (entity.host) names.add(entity.host);
  if (entity.node && entity.cluster) names.add(`${entity.cluster}/${entity.node}`);
  const application = entity.kind === 'Application' ? entity.name : entity.application;
  if (application && entity.cluster) names.add(`${entity.cluster}/${application}`);
  if (entity.kind === 'Workload' && entity.cluster && entity.namespace !== undefined)
    names.add(`${entity.cluster}/${entity.namespace}/${entity.workloadKind ?? 'Deployment'}/${entity.name}`);
  return [...names];
}

/** Labels on every Change healing submits: which run and policy made it. */
export const HEALING_RUN_LABEL = healingLabels.run;
export const HEALING_POLICY_LABEL = healingLabels.policy;

/** A Change's name for an action key: stable, so a repeat of the key finds the Change already made. */
export function healingChangeName(key: string): string {
  return `heal-${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
}

/** Whether the action changes the fleet (a Change, counted by the disruption budget). */
export function changesFleet(request: Pick<HealingActionRequest, 'action'>): boolean {
  const { nodeOperation, workloadOperation, applicationRollback, jobRun, kubernetesJob } = request.action;
  return (
    nodeOperation !== undefined ||
    workloadOperation !== undefined ||
    applicationRollback !== undefined ||
    jobRun !== undefined ||
    kubernetesJob !== undefined
  );
}

/**
 * Healing's actions on what exists: node cordon, drain and uncordon as a Change with `nodeOperation`; a
 * JobTemplate run on the entity's host as a Change with `jobRun` (both one entity, one batch, no bake:
 * healing verifies itself; `Abort` on failure; the change engine applies windows and stop-the-line); a
 * notification through the outbox; a Silence of the entity's alerts. Every start is idempotent on the
 * request's key: the Change is named after it, the notification's dedup key and the Silence's name too.
 */
export function createChangeActuator(deps: ChangeActuatorDeps): HealingActuator {
  return {
    async start(request): Promise<ActionStart> {
      const { action, entity, team } = request;
      const name = healingChangeName(request.key);
      const labels = { [HEALING_RUN_LABEL]: request.runId, [HEALING_POLICY_LABEL]: request.policy };
      const single = {
        plan: { batches: [{ size: '1', bake: '0s' }], maxConcurrent: 1 },
        failurePolicy: 'Abort' as const,
        windows: [],
      };
      if (action.nodeOperation) {
        const node = entity.kind === 'Node' ? entity.name : entity.node;
        if (!node || !entity.cluster)
          return {
            ok: false,
            reason: 'NoNode',
            message: `${entity.kind} ${entity.name} names no cluster and node`,
          };
        const submitted = await deps.changes.submit(
          team,
          name,
          {
            description: `healing ${request.policy}: ${action.name} (${request.summary})`.slice(0, 2000),
            nodeOperation: action.nodeOperation,
            targets: { names: [`${entity.cluster}/${node}`], clusters: [entity.cluster] },
            ...single,
          },
          labels,
          request.fence,
        );
        return submitted.ok ? { ok: true, handle: `change/${name}`, done: false } : submitted;
      }
      if (action.workloadOperation) {
        if (entity.kind !== 'Workload' || !entity.cluster || entity.namespace === undefined)
          return {
            ok: false,
            reason: 'NoWorkload',
            message: `${entity.kind} ${entity.name} is not a workload of a cluster and namespace`,
          };
        const target = `${entity.cluster}/${entity.namespace}/${entity.workloadKind ?? 'Deployment'}/${entity.name}`;
        const submitted = await deps.changes.submit(
          team,
          name,
          {
            description: `healing ${request.policy}: ${action.name} (${request.summary})`.slice(0, 2000),
            workloadOperation: action.workloadOperation,
            targets: { names: [target] },
            ...single,
          },
          labels,
          request.fence,
        );
        return submitted.ok ? { ok: true, handle: `change/${name}`, done: false } : submitted;
      }
      if (action.pauseChanges) {
        if (!deps.pauser)
          return { ok: false, reason: 'NoChangeEngine', message: 'no change engine to pause changes with' };
        const paused = await deps.pauser.pauseTouching(
          team,
          changeEntityNames(entity),
          `healing ${request.policy}: ${request.summary}`.slice(0, 1000),
        );
        return { ok: true, handle: `paused/${paused.join(',')}`, done: true };
      }
      if (action.applicationRollback) {
        const application = entity.kind === 'Application' ? entity.name : entity.application;
        if (!application)
          return {
            ok: false,
            reason: 'NoApplication',
            message: `${entity.kind} ${entity.name} belongs to no known Application`,
          };
        const cluster = entity.kind === 'Application' ? undefined : entity.cluster;
        const revision = await deps.revisions?.previous(team, application, cluster);
        if (revision === undefined)
          return {
            ok: false,
            reason: deps.revisions ? 'NoEarlierRevision' : 'NoRevisions',
            message: `application ${application} has no revision before its current one${cluster ? ` on ${cluster}` : ''}`,
          };
        const submitted = await deps.changes.submit(
          team,
          name,
          {
            description:
              `healing ${request.policy}: ${action.name} to revision ${revision} (${request.summary})`.slice(
                0,
                2000,
              ),
            applicationRevision: { application, revision, progressDeadlineSeconds: 600 },
            targets: cluster ? { names: [cluster] } : { selector: '' },
            ...single,
            ...(cluster ? {} : { plan: { batches: [{ size: '100%', bake: '0s' }], maxConcurrent: 1000 } }),
          },
          labels,
          request.fence,
        );
        return submitted.ok ? { ok: true, handle: `change/${name}`, done: false } : submitted;
      }
      if (action.jobRun) {
        const host = entity.kind === 'Host' ? entity.name : entity.host;
        if (!host)
          return { ok: false, reason: 'NoHost', message: `${entity.kind} ${entity.name} has no host` };
        const submitted = await deps.changes.submit(
          team,
          name,
          {
            description: `healing ${request.policy}: ${action.name} (${request.summary})`.slice(0, 2000),
            jobRun: action.jobRun,
            targets: { names: [host] },
            ...single,
          },
          labels,
          request.fence,
        );
        return submitted.ok ? { ok: true, handle: `change/${name}`, done: false } : submitted;
      }
      if (action.kubernetesJob) {
        if (!entity.cluster)
          return {
            ok: false,
            reason: 'NoCluster',
            message: `${entity.kind} ${entity.name} names no cluster`,
          };
        const filled = fillKubernetesJob(
          action.kubernetesJob,
          entity,
          request.triggerId ?? '',
          request.rootCause,
        );
        if (!filled.ok) return filled;
        const submitted = await deps.changes.submit(
          team,
          name,
          {
            description: `healing ${request.policy}: ${action.name} (${request.summary})`.slice(0, 2000),
            kubernetesJob: filled.job,
            targets: { names: [entity.cluster] },
            ...single,
          },
          labels,
          request.fence,
        );
        return submitted.ok ? { ok: true, handle: `change/${name}`, done: false } : submitted;
      }
      if (action.notify) {
        for (const channel of action.notify.channels)
          await deps.notifier.enqueue(
            {
              team,
              channel,
              groupKey: `healing/${team}/${request.runId}`,
              dedupKey: `healing/${team}/${request.key}/${channel}`,
              message: healingMessage(request, channel, action.notify.page, deps.now(), deps.externalUrl),
            },
            request.fence ? { fence: request.fence } : {},
          );
        return { ok: true, handle: `notify/${request.key}`, done: true };
      }
      if (action.silence) {
        const labelsOf: [string, string | undefined][] = [
          [entity.kind === 'Node' ? 'node' : entity.kind === 'Host' ? 'host' : 'workload', entity.name],
          ['cluster', entity.cluster],
        ];
        const matchers = labelsOf.flatMap(([label, value]) => (value ? [{ name: label, value }] : []));
        const startsAt = deps.now();
        const created = await deps.silences.create(
          team,
          name,
          {
            matchers,
            startsAt: new Date(startsAt).toISOString(),
            endsAt: new Date(startsAt + durationMs(action.silence.duration)).toISOString(),
            comment: action.silence.comment ?? `healing ${request.policy}: ${request.summary}`.slice(0, 4096),
          },
          request.fence,
        );
        return created.ok ? { ok: true, handle: `silence/${name}`, done: true } : created;
      }
      return { ok: false, reason: 'UnknownAction', message: `action ${action.name} has no kind` };
    },

    async progress(team, handle): Promise<ActionProgress> {
      if (!handle.startsWith('change/')) return { state: 'succeeded' };
      const name = handle.slice('change/'.length);
      const phase = await deps.changes.phase(team, name);
      if (!phase)
        return { state: 'failed', reason: 'ChangeGone', message: `Change ${name} no longer exists` };
      if (phase.phase === 'Succeeded') return { state: 'succeeded' };
      if (phase.phase === 'Failed' || phase.phase === 'Aborted')
        return {
          state: 'failed',
          reason: `Change${phase.phase}`,
          message: phase.message ?? `Change ${name} ${phase.phase}`,
        };
      return {
        state: 'running',
        message: `Change ${name} ${phase.phase}`,
        ...(phase.held ? { held: phase.held } : {}),
      };
    },
  };
}

/** An Alertmanager v4 message standing for a healing run's action or page. */
function healingMessage(
  request: HealingActionRequest,
  channel: string,
  page: boolean,
  now: number,
  externalUrl: string,
): WebhookMessage {
  const labels: Record<string, string> = {
    alertname: page ? 'GantryHealingEscalated' : 'GantryHealingAction',
    team: request.team,
    policy: request.policy,
    healing_run: request.runId,
    severity: page ? 'critical' : 'info',
    [request.entity.kind.toLowerCase()]: request.entity.name,
  };
  if (request.entity.cluster) labels['cluster'] = request.entity.cluster;
  const annotations: Record<string, string> = {
    title: page ? `Healing needs a person: ${request.summary}` : `Healing acted: ${request.summary}`,
    summary: request.summary,
    evidence: JSON.stringify(request.details).slice(0, 8000),
  };
  return healingWebhookMessage({
    team: request.team,
    runId: request.runId,
    channel,
    labels,
    annotations,
    now,
    externalUrl,
    link: healingRunLink(externalUrl, request.team, request.runId),
  });
}
