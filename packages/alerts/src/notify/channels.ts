import { createHmac } from 'node:crypto';
import type { NotificationChannelSpec, WebhookMessage } from '@gantry/model';

/** The request a channel type makes of a rendered notification (email is sent apart, see mail.ts). */
export interface ChannelRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The secret values a channel's settings name, resolved. */
export interface ResolvedSecrets {
  url?: string;
  sign?: string;
  authorization?: string;
  password?: string;
}

/**
 * How a 2xx answer is read: the robots (DingTalk, WeCom, Feishu) answer 200 with an error code in the
 * body. `rateLimited` codes are retried like a 429; others are refusals of the message itself.
 */
export type BodyVerdict = { ok: true } | { ok: false; rateLimited: boolean; reason: string };

export interface RenderedText {
  title: string;
  body: string;
}

/** The Alertmanager v4 payload, cut to `maxAlerts` (0: all) with the rest counted in `truncatedAlerts`. */
export function webhookPayload(message: WebhookMessage, maxAlerts: number): WebhookMessage {
  if (maxAlerts === 0 || message.alerts.length <= maxAlerts) return message;
  return {
    ...message,
    alerts: message.alerts.slice(0, maxAlerts),
    truncatedAlerts: message.truncatedAlerts + message.alerts.length - maxAlerts,
  };
}

/**
 * The HTTP request of a channel of any type but email. `now` is the signing time (ms); `id` the
 * notification's id, sent as `X-Gantry-Notification-Id` and `Idempotency-Key` so that a receiver can drop
 * the repeat of an attempt whose answer was lost.
 */
export function channelRequest(
  spec: NotificationChannelSpec,
  message: WebhookMessage,
  text: RenderedText,
  secrets: ResolvedSecrets,
  id: string,
  now: number,
): ChannelRequest {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Gantry-Notifier',
    'x-gantry-notification-id': id,
    'idempotency-key': id,
  };
  const url = secrets.url ?? spec.webhook?.url ?? '';
  switch (spec.type) {
    case 'webhook': {
      if (secrets.authorization !== undefined) headers.authorization = `Bearer ${secrets.authorization}`;
      return { url, headers, body: JSON.stringify(webhookPayload(message, spec.webhook?.maxAlerts ?? 0)) };
    }
    case 'slack':
      return {
        url,
        headers,
        body: JSON.stringify({
          text: text.body,
          ...(spec.slack?.channel !== undefined ? { channel: spec.slack.channel } : {}),
          ...(spec.slack?.username !== undefined ? { username: spec.slack.username } : {}),
        }),
      };
    case 'dingtalk': {
      let signed = url;
      if (secrets.sign !== undefined) {
        // DingTalk: sign = base64(HMAC-SHA256(key = secret, "timestamp\nsecret")), timestamp in ms.
        const timestamp = String(now);
        const sign = createHmac('sha256', secrets.sign)
          .update(`${timestamp}\n${secrets.sign}`)
          .digest('base64');
        const target = new URL(url);
        target.searchParams.set('timestamp', timestamp);
        target.searchParams.set('sign', sign);
        signed = target.toString();
      }
      return {
        url: signed,
        headers,
        body: JSON.stringify({ msgtype: 'markdown', markdown: { title: text.title, text: text.body } }),
      };
    }
    case 'feishu': {
      const body: Record<string, unknown> = { msg_type: 'text', content: { text: text.body } };
      if (secrets.sign !== undefined) {
        // Feishu/Lark: sign = base64(HMAC-SHA256(key = "timestamp\nsecret", empty message)), in seconds.
        const timestamp = String(Math.floor(now / 1000));
        body.timestamp = timestamp;
        body.sign = createHmac('sha256', `${timestamp}\n${secrets.sign}`).update('').digest('base64');
      }
      return { url, headers, body: JSON.stringify(body) };
    }
    case 'wecom':
      return {
        url,
        headers,
        body: JSON.stringify({ msgtype: 'markdown', markdown: { content: text.body } }),
      };
    case 'email':
      throw new Error('email is not sent over HTTP');
  }
}

/** DingTalk's and WeCom's rate-limit codes; Feishu's "too many requests". */
const RATE_LIMIT_CODES = new Set([130101, 45009, 11232, 9499]);

/** Reads a 2xx answer of a channel type. */
export function readAnswer(type: NotificationChannelSpec['type'], body: string): BodyVerdict {
  if (type !== 'dingtalk' && type !== 'wecom' && type !== 'feishu') return { ok: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, rateLimited: false, reason: 'the answer is not JSON' };
  }
  const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const code = type === 'feishu' ? (fields.code ?? fields.StatusCode) : fields.errcode;
  if (code === 0 || code === undefined) return { ok: true };
  const numeric = typeof code === 'number' ? code : Number(code);
  const text = String(fields.errmsg ?? fields.msg ?? fields.StatusMessage ?? '');
  return {
    ok: false,
    rateLimited: RATE_LIMIT_CODES.has(numeric),
    reason: `error code ${String(code)}: ${text}`,
  };
}
