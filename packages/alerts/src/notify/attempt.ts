import type {
  AttemptErrorClass,
  AttemptOutcome,
  NotificationChannelSpec,
  SecretKeyRef,
  WebhookMessage,
} from '@gantry/model';
import type { Clock } from '@gantry/controllers';
import { channelRequest, readAnswer, type ResolvedSecrets } from './channels.ts';
import type { HttpSend, MailSend, SecretResolver } from './ports.ts';
import { defaultTemplates, type NotificationTemplateRenderer } from './template.ts';
import { EXCERPT_CHARS } from './transports.ts';

/** One attempt's result, as the delivery log keeps it. */
export interface AttemptResult {
  outcome: Exclude<AttemptOutcome, 'interrupted'>;
  latencyMs: number;
  statusCode?: number;
  errorClass?: AttemptErrorClass;
  error?: string;
  response?: string;
}

export interface AttemptDependencies {
  secrets: SecretResolver;
  http: HttpSend;
  mail: MailSend;
  clock: Clock;
  templates: NotificationTemplateRenderer;
}

/** Thrown inside an attempt for a failure with a known class; its message is safe to keep. */
class AttemptFailure extends Error {
  constructor(
    readonly errorClass: AttemptErrorClass,
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/**
 * Sends one notification to one channel once: resolves the secrets, renders the templates, sends with the
 * channel's timeout (an AbortSignal fired by the injected clock) and classifies the answer. Never throws.
 * Secret values that appear in an error or an answer are masked.
 */
export async function attemptDelivery(
  deps: AttemptDependencies,
  team: string,
  spec: NotificationChannelSpec,
  message: WebhookMessage,
  id: string,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  const abort = new AbortController();
  const timer = deps.clock.setTimeout(() => abort.abort(), spec.timeoutSeconds * 1000);
  const secrets: ResolvedSecrets = {};
  const mask = (text: string) => maskSecrets(text, secrets);
  try {
    await resolveSecrets(deps.secrets, team, spec, secrets);
    // A webhook posts the message itself: its templates are not rendered.
    const defaults = defaultTemplates(spec.type);
    const text = (template: string | undefined, fallback: string) =>
      spec.type === 'webhook' ? '' : render(deps.templates, template ?? fallback, message);
    const title = text(spec.templates?.title, defaults.title);
    const body = text(spec.templates?.body, defaults.body);
    if (spec.type === 'email' && spec.email) {
      const email = spec.email;
      const sent = await raceAbort(
        deps.mail({
          host: email.host,
          port: email.port,
          tls: email.tls,
          insecureSkipVerify: email.insecureSkipVerify,
          ...(email.username !== undefined
            ? { auth: { user: email.username, pass: secrets.password ?? '' } }
            : {}),
          from: email.from,
          to: email.to,
          subject: title,
          text: body,
          headers: { 'X-Gantry-Notification-Id': id },
          signal: abort.signal,
        }),
        abort.signal,
      );
      return {
        outcome: 'delivered',
        latencyMs: elapsed(),
        statusCode: sent.code,
        response: excerpt(mask(sent.response)),
      };
    }
    const request = channelRequest(spec, message, { title, body }, secrets, id, deps.clock.now());
    const answer = await deps.http({ ...request, signal: abort.signal });
    const response = excerpt(mask(answer.body));
    const base = { latencyMs: elapsed(), statusCode: answer.status, ...(response ? { response } : {}) };
    if (answer.status >= 200 && answer.status < 300) {
      const verdict = readAnswer(spec.type, answer.body);
      if (verdict.ok) return { outcome: 'delivered', ...base };
      return {
        outcome: verdict.rateLimited ? 'retryable' : 'permanent',
        errorClass: verdict.rateLimited ? 'http429' : 'rejected',
        error: mask(verdict.reason),
        ...base,
      };
    }
    if (answer.status === 429)
      return { outcome: 'retryable', errorClass: 'http429', error: 'HTTP 429', ...base };
    if (answer.status >= 500 || answer.status === 408)
      return { outcome: 'retryable', errorClass: 'http5xx', error: `HTTP ${answer.status}`, ...base };
    return { outcome: 'permanent', errorClass: 'http4xx', error: `HTTP ${answer.status}`, ...base };
  } catch (error) {
    const latencyMs = elapsed();
    if (error instanceof AttemptFailure)
      return {
        outcome: error.permanent ? 'permanent' : 'retryable',
        latencyMs,
        errorClass: error.errorClass,
        error: mask(error.message),
      };
    if (abort.signal.aborted)
      return {
        outcome: 'retryable',
        latencyMs,
        errorClass: 'timeout',
        error: `no answer within ${spec.timeoutSeconds}s`,
      };
    const smtpCode = (error as { responseCode?: unknown }).responseCode;
    if (spec.type === 'email') {
      const code = typeof smtpCode === 'number' ? smtpCode : undefined;
      return {
        outcome: code !== undefined && code >= 500 ? 'permanent' : 'retryable',
        latencyMs,
        errorClass: 'smtp',
        error: mask(describe(error)),
        ...(code !== undefined ? { statusCode: code } : {}),
      };
    }
    return { outcome: 'retryable', latencyMs, errorClass: 'network', error: mask(describe(error)) };
  } finally {
    timer.cancel();
  }
}

async function resolveSecrets(
  resolver: SecretResolver,
  team: string,
  spec: NotificationChannelSpec,
  into: ResolvedSecrets,
): Promise<void> {
  const get = async (ref: SecretKeyRef | undefined): Promise<string | undefined> => {
    if (!ref) return undefined;
    try {
      return await resolver.resolve(team, ref);
    } catch {
      // Retried: the operator may create or fix the secret while the notification waits.
      throw new AttemptFailure('secret', `secret ${ref.name} (key ${ref.key}) cannot be read`, false);
    }
  };
  const settings = spec[spec.type] as
    | {
        urlSecret?: SecretKeyRef;
        signSecret?: SecretKeyRef;
        authorizationSecret?: SecretKeyRef;
        passwordSecret?: SecretKeyRef;
      }
    | undefined;
  const url = await get(settings?.urlSecret);
  if (url !== undefined) into.url = url;
  const sign = await get(settings?.signSecret);
  if (sign !== undefined) into.sign = sign;
  const authorization = await get(settings?.authorizationSecret);
  if (authorization !== undefined) into.authorization = authorization;
  const password = await get(settings?.passwordSecret);
  if (password !== undefined) into.password = password;
  if (spec.type !== 'email' && (into.url ?? spec.webhook?.url) === undefined)
    throw new AttemptFailure('secret', 'the channel has no URL', true);
}

function render(renderer: NotificationTemplateRenderer, template: string, message: WebhookMessage): string {
  const rendered = renderer.render(template, message);
  if (!rendered.ok) throw new AttemptFailure('template', rendered.message, true);
  return rendered.text;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Replaces every secret value (and its URL-encoded form) in `text` with `***`. */
export function maskSecrets(text: string, secrets: ResolvedSecrets): string {
  let out = text;
  for (const value of Object.values(secrets)) {
    if (typeof value !== 'string' || value.length < 4) continue;
    for (const form of new Set([value, encodeURIComponent(value)])) out = out.split(form).join('***');
  }
  return out;
}

function excerpt(text: string): string {
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}
