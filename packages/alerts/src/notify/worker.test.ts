import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { MemoryEventRecorder } from '@gantry/controllers';
import { NotificationChannelSpec, type WebhookMessage } from '@gantry/model';
import { Store } from '@gantry/store';
import { FakeClock } from './fake-clock.ts';
import type { HttpAnswer, HttpRequest } from './ports.ts';
import { NotificationService, resourceChannelSource } from './service.ts';
import { NotificationWorker } from './worker.ts';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';

const T0 = Date.parse('2026-12-02T10:00:00Z');
const caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };

function message(group: string, status: 'firing' | 'resolved' = 'firing'): WebhookMessage {
  return {
    version: '4',
    groupKey: `{}:{alertname="${group}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'team-a',
    groupLabels: { alertname: group },
    commonLabels: { alertname: group, severity: 'page' },
    commonAnnotations: {},
    externalURL: 'http://gantry.example',
    alerts: [
      {
        status,
        labels: { alertname: group, severity: 'page' },
        annotations: { summary: `${group} is down` },
        startsAt: '2026-12-02T09:59:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus/graph',
        fingerprint: 'a1b2c3d4e5f60718',
      },
    ],
  };
}

function channel(spec: Record<string, unknown>): NotificationChannelSpec {
  return Value.Default(NotificationChannelSpec, spec) as NotificationChannelSpec;
}

type Responder = (request: HttpRequest) => Promise<HttpAnswer>;

describe('NotificationWorker', () => {
  let store: Store;
  let clock: FakeClock;
  let channels: Map<string, NotificationChannelSpec>;
  let secrets: Map<string, string>;
  let sent: HttpRequest[];
  let respond: Map<string, Responder>;
  let events: MemoryEventRecorder;
  let worker: NotificationWorker;
  let service: NotificationService;

  const make = () => {
    const deps = {
      channels: { get: (team: string, name: string) => Promise.resolve(channels.get(`${team}/${name}`)) },
      secrets: {
        resolve: (team: string, ref: { name: string; key: string }) => {
          const value = secrets.get(`${team}/${ref.name}/${ref.key}`);
          return value === undefined ? Promise.reject(new Error('no such secret')) : Promise.resolve(value);
        },
      },
      clock,
      http: (request: HttpRequest) => {
        sent.push(request);
        const host = new URL(request.url).host;
        return (respond.get(host) ?? (() => Promise.resolve({ status: 200, body: 'ok' })))(request);
      },
    };
    worker = new NotificationWorker(
      { ...deps, outbox: store.notifications, server: 'server-1', random: () => 0.5, events },
      { leaseMs: 10_000, batchSize: 16 },
    );
    service = new NotificationService({ ...deps, repository: store.notifications });
  };

  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
    clock = new FakeClock(T0);
    channels = new Map([
      ['a/hook', channel({ type: 'webhook', webhook: { url: 'http://hook.test/alerts' } })],
      ['a/other', channel({ type: 'webhook', webhook: { url: 'http://other.test/alerts' } })],
    ]);
    secrets = new Map();
    sent = [];
    respond = new Map();
    events = new MemoryEventRecorder();
    make();
  });
  afterEach(async () => {
    await worker.idle();
    await store.close();
  });

  const enqueue = (group: string, dedup = group, name = 'hook', status: 'firing' | 'resolved' = 'firing') =>
    service.enqueue({
      team: 'a',
      channel: name,
      groupKey: `{}:{alertname="${group}"}`,
      dedupKey: dedup,
      message: message(group, status),
    });
  const round = async () => {
    const claimed = await worker.tick();
    await worker.idle();
    return claimed;
  };
  const detail = (id: string) => service.get(caller, 'a', id);

  it('posts the Alertmanager v4 payload with the notification id and records the attempt', async () => {
    const { id } = await enqueue('Down');
    expect(await round()).toBe(1);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body)).toEqual(message('Down'));
    expect(sent[0]!.headers['x-gantry-notification-id']).toBe(id);
    expect(sent[0]!.headers['idempotency-key']).toBe(id);
    const seen = await detail(id);
    expect(seen.notification.state).toBe('delivered');
    expect(seen.attempts).toMatchObject([
      { attempt: 1, outcome: 'delivered', statusCode: 200, server: 'server-1' },
    ]);
    expect(await round()).toBe(0);
  });

  it('makes one row of two enqueues with the same dedup key', async () => {
    const first = await enqueue('Down', 'k1');
    const second = await enqueue('Down', 'k1');
    expect(second).toEqual({ id: first.id, created: false });
    await round();
    expect(sent).toHaveLength(1);
    expect((await service.list(caller, 'a', {})).items).toHaveLength(1);
  });

  it('sends only the newest pending notification of a group (the older is superseded)', async () => {
    const older = await enqueue('Down', 'k1');
    const newer = await enqueue('Down', 'k2', 'hook', 'resolved');
    await round();
    expect(sent.map((request) => (JSON.parse(request.body) as WebhookMessage).status)).toEqual(['resolved']);
    expect((await detail(older.id)).notification.state).toBe('superseded');
    expect((await detail(newer.id)).notification.state).toBe('delivered');
  });

  it('refuses a message that is not an Alertmanager v4 message, with the field path', async () => {
    await expect(
      service.enqueue({
        team: 'a',
        channel: 'hook',
        groupKey: 'g',
        dedupKey: 'd',
        message: { ...message('X'), version: '3' } as never,
      }),
    ).rejects.toMatchObject({ status: 400, details: [{ path: '/message/version' }] });
  });

  it('retries a 5xx with backoff on the clock and delivers', async () => {
    let calls = 0;
    respond.set('hook.test', () =>
      Promise.resolve(++calls <= 2 ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' }),
    );
    const { id } = await enqueue('Down');
    await round();
    let seen = await detail(id);
    expect(seen.notification.state).toBe('pending');
    // initial 1s, jitter 0.5: half + half of half = 750 ms.
    expect(seen.notification.nextAttemptAt).toBe(new Date(T0 + 750).toISOString());
    clock.advance(749);
    expect(await round()).toBe(0);
    clock.advance(1);
    await round();
    seen = await detail(id);
    expect(seen.notification.nextAttemptAt).toBe(new Date(T0 + 750 + 1500).toISOString());
    clock.advance(1500);
    await round();
    seen = await detail(id);
    expect(seen.notification.state).toBe('delivered');
    expect(seen.attempts.map((a) => [a.outcome, a.statusCode, a.errorClass ?? null])).toEqual([
      ['retryable', 503, 'http5xx'],
      ['retryable', 503, 'http5xx'],
      ['delivered', 200, null],
    ]);
    expect(seen.attempts[0]!.response).toBe('busy');
  });

  it('gives up after the policy’s attempts, records it and an event', async () => {
    channels.set(
      'a/hook',
      channel({
        type: 'webhook',
        webhook: { url: 'http://hook.test/' },
        retry: { maxAttempts: 3, initialBackoffSeconds: 1, maxBackoffSeconds: 1 },
      }),
    );
    respond.set('hook.test', () => Promise.resolve({ status: 500, body: '' }));
    const { id } = await enqueue('Down');
    for (let i = 0; i < 5; i += 1) {
      await round();
      clock.advance(1000);
    }
    const seen = await detail(id);
    expect(seen.notification.state).toBe('failed');
    expect(seen.attempts).toHaveLength(3);
    expect(sent).toHaveLength(3);
    expect(events.reasons()).toEqual(['NotificationFailed']);
  });

  it('does not retry a 4xx other than 429', async () => {
    respond.set('hook.test', () => Promise.resolve({ status: 400, body: 'bad' }));
    const { id } = await enqueue('Down');
    await round();
    clock.advance(600_000);
    await round();
    expect((await detail(id)).notification.state).toBe('failed');
    expect(sent).toHaveLength(1);
  });

  it('times a hung receiver out on the clock, and it does not hold another channel', async () => {
    respond.set(
      'hook.test',
      (request) =>
        new Promise((_, reject) =>
          request.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    );
    const hung = await enqueue('Down');
    const fine = await enqueue('Up', 'u', 'other');
    expect(await worker.tick()).toBe(2);
    // Give the other channel's send a chance to finish while the first hangs.
    for (let i = 0; i < 20 && (await detail(fine.id)).notification.state !== 'delivered'; i += 1)
      await new Promise((resolve) => setImmediate(resolve));
    expect((await detail(fine.id)).notification.state).toBe('delivered');
    expect((await detail(hung.id)).notification.state).toBe('sending');
    clock.advance(10_000);
    await worker.idle();
    const seen = await detail(hung.id);
    expect(seen.notification.state).toBe('pending');
    expect(seen.attempts[0]).toMatchObject({ outcome: 'retryable', errorClass: 'timeout' });
  });

  it('does not claim for an enqueue while every slot of the channel is busy, and claims when one frees', async () => {
    channels.set(
      'a/hook',
      channel({ type: 'webhook', webhook: { url: 'http://hook.test/' }, concurrency: 1 }),
    );
    const release: (() => void)[] = [];
    respond.set(
      'hook.test',
      () => new Promise((resolve) => release.push(() => resolve({ status: 200, body: 'ok' }))),
    );
    let claims = 0;
    const outbox = store.notifications;
    worker = new NotificationWorker(
      {
        outbox: {
          claim: (options) => {
            claims += 1;
            return outbox.claim(options);
          },
          finish: (row, outcome, now) => outbox.finish(row, outcome, now),
          release: (row, dueAt, now) => outbox.release(row, dueAt, now),
          renew: (tokens, until) => outbox.renew(tokens, until),
        },
        channels: { get: (team, name) => Promise.resolve(channels.get(`${team}/${name}`)) },
        secrets: { resolve: () => Promise.reject(new Error('none')) },
        clock,
        server: 'server-1',
        http: (request) =>
          (respond.get(new URL(request.url).host) ?? (() => Promise.reject(new Error('no'))))(request),
      },
      { leaseMs: 10_000, batchSize: 16 },
    );
    await enqueue('G0');
    expect(await worker.tick()).toBe(1);
    for (let i = 0; i < 20 && release.length === 0; i += 1) await new Promise((r) => setImmediate(r));
    expect(release).toHaveLength(1);
    const before = claims;
    worker.start();
    for (let i = 1; i < 10; i += 1) {
      await enqueue(`G${i}`);
      worker.wake('a/hook');
    }
    // start() polls once; the nine wake-ups for the full channel read nothing.
    for (let i = 0; i < 20; i += 1) await new Promise((r) => setImmediate(r));
    expect(claims - before).toBe(1);
    release.shift()!();
    for (let i = 0; i < 50 && release.length === 0; i += 1) await new Promise((r) => setImmediate(r));
    expect(release).toHaveLength(1);
    expect(claims - before).toBeLessThanOrEqual(3);
    while (release.length > 0 || (await service.list(caller, 'a', { state: 'pending' })).items.length > 0) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await worker.stop();
    const states = (await service.list(caller, 'a', {})).items.map((item) => item.state);
    expect(states.filter((state) => state === 'delivered')).toHaveLength(10);
  });

  it('queues what the rate limit holds back and drops nothing', async () => {
    channels.set(
      'a/hook',
      channel({
        type: 'webhook',
        webhook: { url: 'http://hook.test/' },
        rateLimit: { perMinute: 60, burst: 2 },
      }),
    );
    for (let i = 0; i < 5; i += 1) await enqueue(`G${i}`);
    await round();
    await round();
    expect(sent).toHaveLength(2);
    clock.advance(1000);
    await round();
    expect(sent).toHaveLength(3);
    clock.advance(2000);
    await round();
    await round();
    expect(sent).toHaveLength(5);
    const states = (await service.list(caller, 'a', {})).items.map((item) => item.state);
    expect(states).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered']);
  });

  it('takes over the row of a claimant whose lease ran out, records the attempt in doubt and sends the same id', async () => {
    const { id } = await enqueue('Down');
    const dead = await store.notifications.claim({
      server: 'dead',
      now: clock.now(),
      leaseMs: 5000,
      limit: 10,
      exclude: [],
    });
    expect(dead).toHaveLength(1);
    expect(await round()).toBe(0);
    clock.advance(5001);
    expect(await round()).toBe(1);
    const seen = await detail(id);
    expect(seen.notification.state).toBe('delivered');
    expect(seen.attempts.map((a) => [a.outcome, a.server])).toEqual([
      ['interrupted', 'dead'],
      ['delivered', 'server-1'],
    ]);
    expect(sent[0]!.headers['x-gantry-notification-id']).toBe(id);
    // The dead claimant's late finish writes nothing.
    expect(
      await store.notifications.finish(
        dead[0]!,
        { state: 'delivered', dueAt: 0, attempts: [], lastError: null, deliveredAt: null },
        clock.now(),
      ),
    ).toBe(false);
  });

  it('masks secret values in what it records', async () => {
    secrets.set('a/hooks/url', 'http://hook.test/T0KEN-abcdef');
    channels.set('a/hook', channel({ type: 'slack', slack: { urlSecret: { name: 'hooks', key: 'url' } } }));
    respond.set('hook.test', (request) =>
      Promise.resolve({ status: 500, body: `no route for ${request.url}` }),
    );
    const { id } = await enqueue('Down');
    await round();
    const seen = await detail(id);
    expect(sent[0]!.url).toBe('http://hook.test/T0KEN-abcdef');
    expect(seen.attempts[0]!.response).toBe('no route for ***');
    expect(JSON.stringify(seen)).not.toContain('T0KEN');
  });

  it('fails a notification whose channel is gone, and retries one whose secret is missing', async () => {
    const gone = await service.enqueue({
      team: 'a',
      channel: 'nope',
      groupKey: 'g',
      dedupKey: 'x',
      message: message('X'),
    });
    channels.set('a/hook', channel({ type: 'wecom', wecom: { urlSecret: { name: 'missing', key: 'url' } } }));
    const waiting = await enqueue('Down');
    await round();
    expect((await detail(gone.id)).attempts[0]).toMatchObject({
      outcome: 'permanent',
      errorClass: 'channelNotFound',
    });
    expect((await detail(gone.id)).notification.state).toBe('failed');
    expect((await detail(waiting.id)).attempts[0]).toMatchObject({
      outcome: 'retryable',
      errorClass: 'secret',
    });
  });

  it('lists with filters and continue tokens, newest first', async () => {
    for (let i = 0; i < 5; i += 1) await enqueue(`G${i}`);
    await enqueue('Other', 'o', 'other');
    const first = await service.list(caller, 'a', { channel: 'hook', limit: '2' });
    expect(first.items.map((item) => item.groupKey)).toEqual(['{}:{alertname="G4"}', '{}:{alertname="G3"}']);
    const second = await service.list(caller, 'a', {
      channel: 'hook',
      limit: '10',
      continue: first.continue!,
    });
    expect(second.items.map((item) => item.groupKey)).toEqual([
      '{}:{alertname="G2"}',
      '{}:{alertname="G1"}',
      '{}:{alertname="G0"}',
    ]);
    expect(second.continue).toBeUndefined();
    expect((await service.list(caller, 'a', { state: 'delivered' })).items).toEqual([]);
    await expect(service.list(caller, 'a', { continue: 'garbage' })).rejects.toMatchObject({ status: 400 });
  });
});

describe('resourceChannelSource', () => {
  it('fills in the defaults of a stored channel', async () => {
    const source = resourceChannelSource({
      get: () => Promise.resolve({ spec: { type: 'webhook', webhook: { url: 'http://x.test/' } } } as never),
    });
    expect(await source.get('a', 'b')).toMatchObject({
      timeoutSeconds: 10,
      retry: { maxAttempts: 6 },
      rateLimit: { burst: 10 },
    });
  });
});
