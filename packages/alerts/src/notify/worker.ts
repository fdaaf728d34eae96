import { Value } from '@sinclair/typebox/value';
import { WebhookMessage, type NotificationChannelSpec } from '@gantry/model';
import type { Clock, EventRecorder, Timer } from '@gantry/controllers';
import {
  channelKey,
  type ClaimedNotification,
  type NotificationRepository,
  type StoredAttempt,
} from '@gantry/store';
import { attemptDelivery, type AttemptResult } from './attempt.ts';
import { retryDelayMs } from './backoff.ts';
import type { ChannelSource, HttpSend, MailSend, SecretResolver } from './ports.ts';
import { NotificationTemplateRenderer } from './template.ts';
import { TokenBucket } from './token-bucket.ts';
import { httpSend, smtpSend } from './transports.ts';

/** The outbox operations a worker uses (the store's NotificationRepository). */
export type OutboxStore = Pick<NotificationRepository, 'claim' | 'finish' | 'release' | 'renew'>;

export interface NotificationWorkerDependencies {
  outbox: OutboxStore;
  channels: ChannelSource;
  secrets: SecretResolver;
  clock: Clock;
  /** This server's name in claims and the delivery log. */
  server: string;
  http?: HttpSend;
  mail?: MailSend;
  /** A number in [0, 1), for the backoff's jitter. */
  random?: () => number;
  events?: EventRecorder;
  /** Called when a send fails unexpectedly (a store error); the row is retried after its lease. */
  onError?: (error: unknown) => void;
}

export interface NotificationWorkerOptions {
  /** How often the outbox is polled for rows other servers enqueued or that became due. */
  pollIntervalMs: number;
  /** A claim's lease; renewed every third of it while the send runs. A dead server's rows wait this long. */
  leaseMs: number;
  /** Most rows claimed at once. */
  batchSize: number;
}

export const defaultNotificationWorkerOptions: NotificationWorkerOptions = {
  pollIntervalMs: 500,
  leaseMs: 30_000,
  batchSize: 32,
};

/** Rows claimed at once for a channel this worker has not sent to yet (the default concurrency). */
const DEFAULT_CHANNEL_CAPACITY = 4;

/** Reasons of the Gantry events the worker records (docs/reference/notifications.md). */
export const NotificationReasons = {
  failed: 'NotificationFailed',
} as const;

interface ChannelState {
  bucket: TokenBucket;
  inFlight: number;
  concurrency: number;
  /** Claimed rows waiting for one of the channel's slots (their claims are renewed meanwhile). */
  waiting: (() => void)[];
}

/**
 * Sends what the outbox holds. Each tick claims due rows (never of a channel whose token bucket is empty
 * or whose concurrency is used up on this server), and sends each on its own: a slow or failing receiver
 * holds only its own channel's slots. Every attempt is recorded; a retryable failure is due again after
 * the channel's backoff, until its attempts are spent; the row's claim is renewed while it is sent.
 */
export class NotificationWorker {
  readonly #deps: NotificationWorkerDependencies;
  readonly #options: NotificationWorkerOptions;
  readonly #templates = new NotificationTemplateRenderer();
  readonly #channels = new Map<string, ChannelState>();
  readonly #inFlight = new Set<Promise<void>>();
  /** `team/channel` → rows claimed whose send has not yet taken (or waited for) a slot. */
  readonly #starting = new Map<string, number>();
  /** Claim token → rows of it still being sent. */
  readonly #claims = new Map<string, number>();
  #running = false;
  #ticking: Promise<void> | undefined;
  #again = false;
  /** The next round claims even when every known channel is full (a poll: rows of unknown channels). */
  #force = false;
  #pollTimer: Timer | undefined;
  #renewTimer: Timer | undefined;

  constructor(deps: NotificationWorkerDependencies, options: Partial<NotificationWorkerOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...defaultNotificationWorkerOptions, ...options };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#request(true);
    this.#scheduleRenew();
  }

  /** Stops claiming and waits for the sends in flight (each bounded by its channel's timeout). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#pollTimer?.cancel();
    this.#pollTimer = undefined;
    this.#renewTimer?.cancel();
    await this.#ticking;
    await this.idle();
  }

  /**
   * Looks at the outbox now: after a local enqueue (`channel` names its `team/channel`), or when a send
   * freed a slot. An enqueue for a channel whose slots on this server are all busy claims nothing (the
   * row is claimed when a slot frees), so a burst of enqueues does not turn into a burst of claims.
   */
  wake(channel?: string): void {
    if (!this.#running) return;
    if (channel !== undefined && this.#full(channel, this.#deps.clock.now())) return;
    this.#request();
  }

  #request(force = false): void {
    if (force) this.#force = true;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = this.#loop().finally(() => {
      this.#ticking = undefined;
    });
  }

  /** Resolves when no send is in flight. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * One claim-and-dispatch round; returns how many rows it claimed. Sends continue in the background.
   * Without `force` (a poll), a round in which every channel this worker knows has no free slot or token
   * claims nothing and reads nothing: rows of a channel it has not sent to yet wait for the next poll or
   * for a slot to free, whichever comes first.
   */
  async tick(force = true): Promise<number> {
    const now = this.#deps.clock.now();
    const exclude: string[] = [];
    const capacity: Record<string, number> = {};
    for (const key of new Set([...this.#channels.keys(), ...this.#starting.keys()])) {
      const free = this.#free(key, now);
      if (free <= 0) exclude.push(key);
      else capacity[key] = free;
    }
    if (!force && exclude.length > 0 && Object.keys(capacity).length === 0) return 0;
    const rows = await this.#deps.outbox.claim({
      server: this.#deps.server,
      now,
      leaseMs: this.#options.leaseMs,
      limit: this.#options.batchSize,
      exclude,
      capacity,
      defaultCapacity: DEFAULT_CHANNEL_CAPACITY,
    });
    // The channels are read once per claim, for all its rows (a burst claims up to a channel's concurrency).
    const specs = new Map<string, Promise<NotificationChannelSpec | undefined>>();
    for (const row of rows) this.#dispatch(row, specs);
    return rows.length;
  }

  /** Slots of a channel this worker could start a send in now (0 while its token bucket is empty). */
  #free(key: string, now: number): number {
    const state = this.#channels.get(key);
    const busy = (state ? state.inFlight + state.waiting.length : 0) + (this.#starting.get(key) ?? 0);
    if (state && state.bucket.readyAt(now) > now) return 0;
    return (state?.concurrency ?? DEFAULT_CHANNEL_CAPACITY) - busy;
  }

  #full(key: string, now: number): boolean {
    return (this.#channels.has(key) || this.#starting.has(key)) && this.#free(key, now) <= 0;
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        const force = this.#force;
        this.#force = false;
        // Until a round claims nothing: a round takes only each channel's free slots.
        if ((await this.tick(force)) > 0) this.#again = true;
      } while (this.#again && this.#running);
    } catch (error) {
      this.#deps.onError?.(error);
    }
    // The poll runs every interval whatever the rounds in between did (they may all have been no-ops).
    if (this.#running && !this.#pollTimer)
      this.#pollTimer = this.#deps.clock.setTimeout(() => {
        this.#pollTimer = undefined;
        this.#request(true);
      }, this.#options.pollIntervalMs);
  }

  #scheduleRenew(): void {
    const every = Math.max(10, Math.floor(this.#options.leaseMs / 3));
    this.#renewTimer = this.#deps.clock.setTimeout(() => {
      const tokens = [...this.#claims.keys()];
      void this.#deps.outbox
        .renew(tokens, this.#deps.clock.now() + this.#options.leaseMs)
        .catch((error: unknown) => this.#deps.onError?.(error))
        .finally(() => {
          if (this.#running) this.#scheduleRenew();
        });
    }, every);
  }

  #dispatch(
    row: ClaimedNotification,
    specs: Map<string, Promise<NotificationChannelSpec | undefined>>,
  ): void {
    this.#claims.set(row.claimToken, (this.#claims.get(row.claimToken) ?? 0) + 1);
    const key = channelKey(row.team, row.channel);
    this.#starting.set(key, (this.#starting.get(key) ?? 0) + 1);
    const send = this.#send(row, specs)
      .catch((error: unknown) => this.#deps.onError?.(error))
      .finally(() => {
        const left = (this.#claims.get(row.claimToken) ?? 1) - 1;
        if (left <= 0) this.#claims.delete(row.claimToken);
        else this.#claims.set(row.claimToken, left);
        this.#inFlight.delete(send);
        this.wake();
      });
    this.#inFlight.add(send);
  }

  async #send(
    row: ClaimedNotification,
    specs: Map<string, Promise<NotificationChannelSpec | undefined>>,
  ): Promise<void> {
    const key = channelKey(row.team, row.channel);
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      const left = (this.#starting.get(key) ?? 1) - 1;
      if (left <= 0) this.#starting.delete(key);
      else this.#starting.set(key, left);
    };
    try {
      await this.#sendOnce(row, specs, start);
    } finally {
      start();
    }
  }

  async #sendOnce(
    row: ClaimedNotification,
    specs: Map<string, Promise<NotificationChannelSpec | undefined>>,
    started: () => void,
  ): Promise<void> {
    const { clock } = this.#deps;
    const start = clock.now();
    const recorded: StoredAttempt[] = [];
    let attempts = row.attempts;
    if (row.interrupted) {
      // The previous claimant died (or lost its lease) during an attempt: whether it arrived is unknown.
      attempts += 1;
      recorded.push({
        attempt: attempts,
        at: new Date(start).toISOString(),
        latencyMs: 0,
        outcome: 'interrupted',
        statusCode: null,
        errorClass: 'interrupted',
        error:
          'its server stopped (or lost its claim) before recording an answer; taken over and sent again with the same id',
        response: null,
        server: row.previousClaimant ?? '',
      });
    }
    const finishFailed = (error: string, errorClass: 'channelNotFound' | 'template') =>
      this.#deps.outbox.finish(
        row,
        {
          state: 'failed',
          dueAt: start,
          attempts: [
            ...recorded,
            this.#record(attempts + 1, start, { outcome: 'permanent', latencyMs: 0, errorClass, error }),
          ],
          lastError: error,
          deliveredAt: null,
        },
        clock.now(),
      );
    const key = channelKey(row.team, row.channel);
    let read = specs.get(key);
    if (!read) specs.set(key, (read = this.#deps.channels.get(row.team, row.channel)));
    const spec = await read;
    if (!spec) {
      await finishFailed(`channel ${row.team}/${row.channel} does not exist`, 'channelNotFound');
      return;
    }
    const parsed = parseMessage(row.message);
    if (!parsed) {
      await finishFailed('the stored message is not an Alertmanager v4 message', 'template');
      return;
    }
    const channel = this.#channel(key, spec, start);
    started();
    // A row beyond the channel's tokens goes back untouched, due when the bucket has one again (an
    // interrupted one is sent: its in-doubt attempt must be recorded now). One beyond its slots waits here.
    if (!row.interrupted && !channel.bucket.take(start)) {
      await this.#deps.outbox.release(row, Math.max(row.dueAt, channel.bucket.readyAt(start)), clock.now());
      return;
    }
    if (row.interrupted) channel.bucket.take(start);
    while (channel.inFlight >= channel.concurrency)
      await new Promise<void>((resolve) => channel.waiting.push(resolve));
    // The slot is held until the outcome is committed: a row this worker holds is one it is sending or
    // recording, so what a kill leaves in doubt is bounded by the channel's concurrency.
    channel.inFlight += 1;
    try {
      await this.#attemptAndFinish(row, spec, parsed, attempts, recorded);
    } finally {
      channel.inFlight -= 1;
      channel.waiting.shift()?.();
    }
  }

  async #attemptAndFinish(
    row: ClaimedNotification,
    spec: NotificationChannelSpec,
    parsed: WebhookMessage,
    attemptsBefore: number,
    recorded: StoredAttempt[],
  ): Promise<void> {
    const { clock } = this.#deps;
    const at = clock.now();
    const result: AttemptResult = await attemptDelivery(
      {
        secrets: this.#deps.secrets,
        http: this.#deps.http ?? httpSend,
        mail: this.#deps.mail ?? smtpSend,
        clock,
        templates: this.#templates,
      },
      row.team,
      spec,
      parsed,
      row.id,
    );
    const attempts = attemptsBefore + 1;
    recorded.push(this.#record(attempts, at, result));
    const now = clock.now();
    if (result.outcome === 'delivered') {
      await this.#deps.outbox.finish(
        row,
        {
          state: 'delivered',
          dueAt: now,
          attempts: recorded,
          lastError: null,
          deliveredAt: new Date(now).toISOString(),
        },
        now,
      );
      return;
    }
    const giveUp = result.outcome === 'permanent' || attempts >= spec.retry.maxAttempts;
    const lastError = result.error ?? result.outcome;
    await this.#deps.outbox.finish(
      row,
      {
        state: giveUp ? 'failed' : 'pending',
        dueAt: giveUp ? now : now + retryDelayMs(spec.retry, attempts, this.#deps.random ?? Math.random),
        attempts: recorded,
        lastError,
        deliveredAt: null,
      },
      now,
    );
    if (giveUp)
      this.#deps.events?.record({
        type: 'Warning',
        reason: NotificationReasons.failed,
        message: `notification ${row.id} (group ${row.groupKey}) not delivered after ${attempts} attempt(s): ${lastError}`,
        regarding: { kind: 'NotificationChannel', name: row.channel, team: row.team },
        actor: `controller/notifications`,
      });
  }

  #record(attempt: number, at: number, result: AttemptResult): StoredAttempt {
    return {
      attempt,
      at: new Date(at).toISOString(),
      latencyMs: result.latencyMs,
      outcome: result.outcome,
      statusCode: result.statusCode ?? null,
      errorClass: result.errorClass ?? null,
      error: result.error ?? null,
      response: result.response ?? null,
      server: this.#deps.server,
    };
  }

  #channel(key: string, spec: NotificationChannelSpec, now: number): ChannelState {
    let state = this.#channels.get(key);
    if (!state) {
      state = {
        bucket: new TokenBucket(spec.rateLimit.perMinute, spec.rateLimit.burst, now),
        inFlight: 0,
        concurrency: spec.concurrency,
        waiting: [],
      };
      this.#channels.set(key, state);
    } else {
      state.bucket.configure(spec.rateLimit.perMinute, spec.rateLimit.burst, now);
      state.concurrency = spec.concurrency;
    }
    return state;
  }
}

function parseMessage(text: string): WebhookMessage | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Value.Check(WebhookMessage, value) ? value : undefined;
  } catch {
    return undefined;
  }
}
