import {
  InputError,
  NotFoundError,
  NotificationChannelSpec,
  WebhookMessage,
  lazyValidator,
  createAjv,
  decodeContinueToken,
  encodeContinueToken,
  type ChannelTestResult,
  type ErrorDetail,
  type NotificationAttempt,
  type NotificationDetail,
  type NotificationList,
  type NotificationQuery,
  type NotificationRecord,
  type NotificationState,
} from '@gantry/model';
import type { Clock } from '@gantry/controllers';
import { authorize, type Caller } from '@gantry/identity';
import {
  channelKey,
  type NotificationRepository,
  type ResourceRepository,
  type StoredAttempt,
  type StoredNotification,
  type WriteFence,
} from '@gantry/store';
import { attemptDelivery } from './attempt.ts';
import type { ChannelSource, HttpSend, MailSend, NotificationInput, SecretResolver } from './ports.ts';
import { NotificationTemplateRenderer } from './template.ts';
import { httpSend, smtpSend } from './transports.ts';

const ajv = createAjv();
const validateMessage = lazyValidator<WebhookMessage>(ajv, WebhookMessage);
const validateChannel = lazyValidator<NotificationChannelSpec>(ajv, NotificationChannelSpec);

export interface NotificationServiceDependencies {
  repository: Pick<NotificationRepository, 'enqueue' | 'query' | 'get'>;
  channels: ChannelSource;
  secrets: SecretResolver;
  clock: Clock;
  /**
   * Called after a row was written with its channel (`team/channel`): the local worker's `wake`, so it is
   * sent without waiting for a poll.
   */
  onEnqueued?: (channel: string) => void;
  http?: HttpSend;
  mail?: MailSend;
  server?: string;
}

/**
 * Notifications as the dispatcher and the API see them: `enqueue` writes a group notification to the
 * outbox (the worker sends it), the delivery log is read per team, and a channel can be tried once.
 */
export class NotificationService {
  readonly #deps: NotificationServiceDependencies;
  readonly #templates = new NotificationTemplateRenderer();

  constructor(deps: NotificationServiceDependencies) {
    this.#deps = deps;
  }

  /**
   * Writes one group notification for one channel, durably, before it resolves. Idempotent on
   * (team, dedupKey): a repeat — from this server or another — answers the first one's id with
   * `created: false`. The message must be an Alertmanager v4 message. With `fence` (the dispatcher's
   * term, ADR 0028) the outbox refuses it once that term is over (`FencedWriteRefused`, nothing written).
   */
  async enqueue(
    input: NotificationInput,
    options: { fence?: WriteFence | undefined } = {},
  ): Promise<{ id: string; created: boolean }> {
    const checked = validateMessage(input.message);
    if (!checked.ok)
      throw new InputError(
        'the notification is not an Alertmanager v4 message',
        checked.errors.map((e) => ({ ...e, path: `/message${e.path}` })),
      );
    const result = await this.#deps.repository.enqueue(
      {
        team: input.team,
        channel: input.channel,
        groupKey: input.groupKey,
        dedupKey: input.dedupKey,
        status: input.message.status,
        alertCount: input.message.alerts.length,
        message: JSON.stringify(input.message),
      },
      this.#deps.clock.now(),
      options.fence,
    );
    if (result.created) this.#deps.onEnqueued?.(channelKey(input.team, input.channel));
    return result;
  }

  async list(caller: Caller, team: string, query: NotificationQuery): Promise<NotificationList> {
    authorize(caller.principal, 'read', team, `notifications of team ${team}`);
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!(limit >= 1 && limit <= 1000))
      throw new InputError('limit must be from 1 to 1000', [
        { path: 'querystring/limit', message: 'must be 1-1000' },
      ]);
    const after =
      query.continue === undefined
        ? undefined
        : decodeContinueToken(
            query.continue,
            (value): value is { seq: number } => typeof (value as { seq?: unknown } | null)?.seq === 'number',
          ).seq;
    const page = await this.#deps.repository.query({
      team,
      ...(query.channel !== undefined ? { channel: query.channel } : {}),
      ...(query.state !== undefined ? { state: query.state } : {}),
      ...(query.groupKey !== undefined ? { groupKey: query.groupKey } : {}),
      ...(query.since !== undefined ? { since: new Date(query.since).toISOString() } : {}),
      ...(after !== undefined ? { afterSeq: after } : {}),
      limit,
    });
    return {
      items: page.items.map(toRecord),
      ...(page.next !== undefined ? { continue: encodeContinueToken({ seq: page.next }) } : {}),
    };
  }

  async get(caller: Caller, team: string, id: string): Promise<NotificationDetail> {
    authorize(caller.principal, 'read', team, `notifications of team ${team}`);
    const found = await this.#deps.repository.get(team, id);
    if (!found) throw new NotFoundError(`notification ${id} of team ${team} not found`);
    return {
      notification: toRecord(found.notification),
      message: JSON.parse(found.notification.message) as WebhookMessage,
      attempts: found.attempts.map(toAttempt),
    };
  }

  /** Sends a test message to a channel once, now, outside the outbox; answers the attempt. */
  async test(caller: Caller, team: string, channel: string): Promise<ChannelTestResult> {
    authorize(caller.principal, 'write', team, `notification channels of team ${team}`);
    const spec = await this.#deps.channels.get(team, channel);
    if (!spec) throw new NotFoundError(`notificationchannel ${team}/${channel} not found`);
    const now = this.#deps.clock.now();
    const at = new Date(now).toISOString();
    const message: WebhookMessage = {
      version: '4',
      groupKey: `{}:{test="${channel}"}`,
      truncatedAlerts: 0,
      status: 'firing',
      receiver: channel,
      groupLabels: { alertname: 'GantryTestNotification' },
      commonLabels: { alertname: 'GantryTestNotification', team },
      commonAnnotations: { summary: `A test notification sent by ${caller.principal.username}` },
      externalURL: '',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'GantryTestNotification', team },
          annotations: { summary: `A test notification sent by ${caller.principal.username}` },
          startsAt: at,
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: '0000000000000000',
        },
      ],
    };
    const result = await attemptDelivery(
      {
        secrets: this.#deps.secrets,
        http: this.#deps.http ?? httpSend,
        mail: this.#deps.mail ?? smtpSend,
        clock: this.#deps.clock,
        templates: this.#templates,
      },
      team,
      spec,
      message,
      `test-${now.toString(36)}`,
    );
    return {
      channel,
      attempt: {
        attempt: 1,
        at,
        latencyMs: result.latencyMs,
        outcome: result.outcome,
        ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
        ...(result.errorClass !== undefined ? { errorClass: result.errorClass } : {}),
        ...(result.error !== undefined ? { error: result.error } : {}),
        ...(result.response !== undefined ? { response: result.response } : {}),
        server: this.#deps.server ?? '',
      },
    };
  }
}

/** The channels as NotificationChannel resources in the store, their defaults filled in. */
export function resourceChannelSource(resources: Pick<ResourceRepository, 'get'>): ChannelSource {
  return {
    async get(team, name) {
      const resource = await resources.get({ kind: 'NotificationChannel', team, name });
      if (!resource) return undefined;
      // The validator fills in the defaults (channels stored before a field existed get it).
      const checked = validateChannel(structuredClone(resource.spec));
      return checked.ok ? checked.value : undefined;
    },
  };
}

/** Secret keys through the secret service's `reveal` (controllers only; never an HTTP answer). */
export function revealingSecretResolver(secrets: {
  reveal(team: string, name: string): Promise<Record<string, string>>;
}): SecretResolver {
  return {
    async resolve(team, ref) {
      const data = await secrets.reveal(team, ref.name);
      const value = data[ref.key];
      if (value === undefined) throw new NotFoundError(`secret ${team}/${ref.name} has no key ${ref.key}`);
      return value;
    },
  };
}

const templates = new NotificationTemplateRenderer();

/** What the schema cannot say about a channel: a webhook's one URL, and templates that compile. */
export function checkNotificationChannel(spec: NotificationChannelSpec): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (spec.type === 'webhook' && spec.webhook) {
    const given = Number(spec.webhook.url !== undefined) + Number(spec.webhook.urlSecret !== undefined);
    if (given !== 1)
      problems.push({ path: '/spec/webhook/url', message: 'give exactly one of url and urlSecret' });
  }
  if (spec.type === 'email' && spec.email?.passwordSecret && spec.email.username === undefined)
    problems.push({ path: '/spec/email/username', message: 'is required with passwordSecret' });
  for (const field of ['title', 'body'] as const) {
    const template = spec.templates?.[field];
    if (template === undefined) continue;
    const problem = templates.check(template);
    if (problem) problems.push({ path: `/spec/templates/${field}`, message: problem });
  }
  return problems;
}

/** The admission hook of NotificationChannel writes: `resources.admit('NotificationChannel', ...)`. */
export async function notificationChannelAdmission(request: {
  operation: 'create' | 'update' | 'delete';
  object?: { spec: unknown };
}): Promise<void> {
  if (request.operation === 'delete' || !request.object) return;
  const problems = checkNotificationChannel(request.object.spec as NotificationChannelSpec);
  if (problems.length > 0) throw new InputError('invalid notification channel', problems);
  return Promise.resolve();
}

function toRecord(row: StoredNotification): NotificationRecord {
  return {
    id: row.id,
    team: row.team,
    channel: row.channel,
    groupKey: row.groupKey,
    dedupKey: row.dedupKey,
    state: row.state as NotificationState,
    status: row.status as NotificationRecord['status'],
    alerts: row.alertCount,
    attempts: row.attempts,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(row.state === 'pending' ? { nextAttemptAt: new Date(row.dueAt).toISOString() } : {}),
    ...(row.deliveredAt !== null ? { deliveredAt: row.deliveredAt } : {}),
    ...(row.lastError !== null ? { lastError: row.lastError } : {}),
  };
}

function toAttempt(row: StoredAttempt): NotificationAttempt {
  return {
    attempt: row.attempt,
    at: row.at,
    latencyMs: row.latencyMs,
    outcome: row.outcome as NotificationAttempt['outcome'],
    ...(row.statusCode !== null ? { statusCode: row.statusCode } : {}),
    ...(row.errorClass !== null ? { errorClass: row.errorClass as NotificationAttempt['errorClass'] } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.response !== null ? { response: row.response } : {}),
    server: row.server,
  };
}
