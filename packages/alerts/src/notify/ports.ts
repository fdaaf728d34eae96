import type { NotificationChannelSpec, SecretKeyRef, WebhookMessage } from '@gantry/model';

/**
 * What the dispatcher hands over: one group notification for one channel of a team. `dedupKey` names the
 * notification (e.g. `${groupKey}/${channel}/${flush sequence}`): enqueuing it twice, from one server or
 * two, makes one outbox row.
 */
export interface NotificationInput {
  team: string;
  channel: string;
  groupKey: string;
  dedupKey: string;
  message: WebhookMessage;
}

/** The channels as the worker reads them at send time (the NotificationChannel resources). */
export interface ChannelSource {
  get(team: string, name: string): Promise<NotificationChannelSpec | undefined>;
}

/** Secret values, resolved at send time (in the server: `SecretService.reveal`). */
export interface SecretResolver {
  resolve(team: string, ref: SecretKeyRef): Promise<string>;
}

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** Posts one request; rejects on a network error or when `signal` aborts. */
export type HttpSend = (request: HttpRequest) => Promise<HttpAnswer>;

export interface MailRequest {
  host: string;
  port: number;
  tls: 'starttls' | 'tls' | 'none';
  insecureSkipVerify: boolean;
  auth?: { user: string; pass: string };
  from: string;
  to: string[];
  subject: string;
  text: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/** Sends one mail; answers the server's final reply (code and text), rejects when it refuses. */
export type MailSend = (request: MailRequest) => Promise<{ code: number; response: string }>;
