import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationDetail, NotificationList, WebhookMessage } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

// Notifications on a real server: channels of every type written through the resource API, secrets in
// the secret store, the outbox's worker sending to real local receivers (HTTP servers checking each
// type's shape and signature, and an SMTP server), and the delivery log read back through the API.

const DING_SECRET = 'SECdingtalk-signing-secret';
const FEISHU_SECRET = 'feishu-signature-secret';
const SMTP_PASSWORD = 'smtp-password-1';

interface Received {
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: any;
  at: number;
}

function message(group: string, status: 'firing' | 'resolved' = 'firing'): WebhookMessage {
  return {
    version: '4',
    groupKey: `{}:{alertname="${group}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'ops',
    groupLabels: { alertname: group },
    commonLabels: { alertname: group, severity: 'page' },
    commonAnnotations: { summary: `${group} is down` },
    externalURL: 'http://gantry.example',
    alerts: [
      {
        status,
        labels: { alertname: group, severity: 'page' },
        annotations: { summary: `${group} is down` },
        startsAt: '2026-12-02T09:59:00Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-12-02T10:05:00Z',
        generatorURL: 'http://prometheus/graph',
        fingerprint: 'a1b2c3d4e5f60718',
      },
    ],
  };
}

function channel(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'gantry.dev/v1alpha1', kind: 'NotificationChannel', metadata: { name }, spec };
}

describe('notifications to real receivers', () => {
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let receiver: Server;
  let smtp: SMTPServer;
  let hook: string;
  let smtpPort: number;
  const received: Received[] = [];
  const mails: { from: string; to: string[]; raw: string; user: string | undefined }[] = [];
  let flaky = 0;

  const answer = (path: string): { status: number; body: string; hang?: boolean } => {
    if (path.startsWith('/dingtalk')) return { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
    if (path.startsWith('/feishu')) return { status: 200, body: '{"code":0,"msg":"success","data":{}}' };
    if (path.startsWith('/wecom-busy'))
      return { status: 200, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' };
    if (path.startsWith('/wecom')) return { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
    if (path.startsWith('/flaky'))
      return (flaky += 1) <= 2 ? { status: 503, body: 'overloaded' } : { status: 200, body: 'ok' };
    if (path.startsWith('/slow')) return { status: 200, body: '', hang: true };
    return { status: 200, body: 'ok' };
  };

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://x');
        const text = Buffer.concat(chunks).toString('utf8');
        received.push({
          path: url.pathname,
          query: url.searchParams,
          headers: request.headers,
          body: JSON.parse(text),
          at: Date.now(),
        });
        const reply = answer(url.pathname);
        if (reply.hang) return;
        response.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.body);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    smtp = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'alerts' && auth.password === SMTP_PASSWORD)
          callback(null, { user: auth.username });
        else callback(new Error('bad credentials'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            user: session.user,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpPort = (smtp.server.address() as AddressInfo).port;

    server = await startTestServer();
    api = client(server.url, server.adminToken);
    expect((await api.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    const secrets = {
      slack: { url: `${hook}/slack/T000/B000/XXXXSLACKTOKEN` },
      dingtalk: { url: `${hook}/dingtalk/robot/send?access_token=DINGTOKEN123`, sign: DING_SECRET },
      feishu: { url: `${hook}/feishu/open-apis/bot/v2/hook/FEISHUTOKEN`, sign: FEISHU_SECRET },
      wecom: {
        url: `${hook}/wecom/cgi-bin/webhook/send?key=WECOMKEY123`,
        busy: `${hook}/wecom-busy/send?key=WECOMKEY123`,
      },
      webhook: { token: 'bearer-token-1234' },
      smtp: { password: SMTP_PASSWORD },
    };
    for (const [name, data] of Object.entries(secrets))
      expect((await api.put(`/api/teams/ops/secrets/${name}`, { data })).status).toBe(200);
    const fast = { retry: { maxAttempts: 4, initialBackoffSeconds: 0.1, maxBackoffSeconds: 0.2 } };
    const channels = [
      channel('hook', {
        type: 'webhook',
        webhook: { url: `${hook}/webhook`, authorizationSecret: { name: 'webhook', key: 'token' } },
      }),
      channel('slack', {
        type: 'slack',
        slack: { urlSecret: { name: 'slack', key: 'url' }, channel: '#ops' },
      }),
      channel('dingtalk', {
        type: 'dingtalk',
        dingtalk: {
          urlSecret: { name: 'dingtalk', key: 'url' },
          signSecret: { name: 'dingtalk', key: 'sign' },
        },
      }),
      channel('feishu', {
        type: 'feishu',
        feishu: { urlSecret: { name: 'feishu', key: 'url' }, signSecret: { name: 'feishu', key: 'sign' } },
      }),
      channel('wecom', { type: 'wecom', wecom: { urlSecret: { name: 'wecom', key: 'url' } } }),
      channel('wecom-busy', {
        type: 'wecom',
        wecom: { urlSecret: { name: 'wecom', key: 'busy' } },
        ...fast,
        retry: { ...fast.retry, maxAttempts: 2 },
      }),
      channel('mail', {
        type: 'email',
        email: {
          host: '127.0.0.1',
          port: smtpPort,
          tls: 'none',
          username: 'alerts',
          passwordSecret: { name: 'smtp', key: 'password' },
          from: 'gantry@example.com',
          to: ['oncall@example.com'],
        },
        templates: {
          title: 'Gantry: ${commonLabels.alertname} ${status}',
          body: "${alerts.map(a, a.annotations.summary).join('\\n')}",
        },
      }),
      channel('flaky', { type: 'webhook', webhook: { url: `${hook}/flaky` }, ...fast }),
      channel('slow', {
        type: 'webhook',
        webhook: { url: `${hook}/slow` },
        timeoutSeconds: 1,
        ...fast,
        retry: { ...fast.retry, maxAttempts: 1 },
      }),
    ];
    for (const body of channels) {
      const reply = await api.post(`${BASE}/teams/ops/notificationchannels`, body);
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    }
  });

  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    await new Promise((resolve) => smtp?.close(() => resolve(undefined)));
  });

  const enqueue = (channelName: string, group: string) =>
    server.server.notifications.enqueue({
      team: 'ops',
      channel: channelName,
      groupKey: `{}:{alertname="${group}"}`,
      dedupKey: `${channelName}/${group}/1`,
      message: message(group),
    });
  const detail = async (id: string) =>
    (await api.get(`/api/teams/ops/notifications/${id}`)).body as NotificationDetail;
  const settled = (id: string, state = 'delivered') =>
    eventually(
      () => detail(id),
      (d) => d.notification.state === state,
      15_000,
    );

  it('refuses a channel whose settings do not fit its type, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'slack' }, '/spec/slack'],
      [
        { type: 'slack', slack: { urlSecret: { name: 's', key: 'u' } }, webhook: { url: 'http://x.test/' } },
        '/spec/webhook',
      ],
      [{ type: 'webhook', webhook: {} }, '/spec/webhook/url'],
      [{ type: 'email', email: { host: 'h', from: 'a@b', to: [] } }, '/spec/email/to'],
      [
        { type: 'webhook', webhook: { url: 'http://x.test/' }, templates: { title: '${ 1 + }' } },
        '/spec/templates/title',
      ],
      [
        { type: 'webhook', webhook: { url: 'http://x.test/' }, retry: { maxAttempts: 0 } },
        '/spec/retry/maxAttempts',
      ],
    ];
    for (const [spec, path] of cases) {
      const reply = await api.post(`${BASE}/teams/ops/notificationchannels`, channel('bad', spec));
      expect(reply.status, JSON.stringify(spec)).toBe(400);
      expect(
        reply.body.details.map((d: any) => d.path),
        JSON.stringify(reply.body),
      ).toContain(path);
    }
    expect((await api.get(`${BASE}/teams/ops/notificationchannels/bad`)).status).toBe(404);
  });

  it('posts the Alertmanager v4 payload to a webhook, with the bearer token and the notification id', async () => {
    const { id } = await enqueue('hook', 'Down');
    await settled(id);
    const got = received.filter((r) => r.path === '/webhook');
    expect(got).toHaveLength(1);
    expect(got[0]!.body).toEqual(message('Down'));
    expect(got[0]!.headers.authorization).toBe('Bearer bearer-token-1234');
    expect(got[0]!.headers['x-gantry-notification-id']).toBe(id);
    expect(got[0]!.headers['idempotency-key']).toBe(id);
  });

  it('sends Slack, DingTalk (signed), Feishu (signed) and WeCom their own shapes', async () => {
    const ids = await Promise.all(
      ['slack', 'dingtalk', 'feishu', 'wecom'].map((name) => enqueue(name, 'Down')),
    );
    for (const { id } of ids) await settled(id);
    const slack = received.find((r) => r.path.startsWith('/slack'))!;
    expect(slack.body).toEqual({ text: expect.stringContaining('*[FIRING:1] Down*'), channel: '#ops' });
    expect(slack.body.text).toContain('- firing Down is down (alertname=Down, severity=page)');

    const ding = received.find((r) => r.path.startsWith('/dingtalk'))!;
    const timestamp = ding.query.get('timestamp')!;
    expect(ding.query.get('access_token')).toBe('DINGTOKEN123');
    expect(Math.abs(Number(timestamp) - Date.now())).toBeLessThan(60_000);
    const dingSign = createHmac('sha256', DING_SECRET)
      .update(`${timestamp}\n${DING_SECRET}`)
      .digest('base64');
    expect(ding.query.get('sign')).toBe(dingSign);
    expect(ding.body).toEqual({
      msgtype: 'markdown',
      markdown: { title: '[FIRING:1] Down', text: expect.stringContaining('### [FIRING:1] Down') },
    });

    const feishu = received.find((r) => r.path.startsWith('/feishu'))!;
    const feishuSign = createHmac('sha256', `${feishu.body.timestamp}\n${FEISHU_SECRET}`)
      .update('')
      .digest('base64');
    expect(feishu.body).toEqual({
      msg_type: 'text',
      content: { text: expect.stringContaining('Down is down') },
      timestamp: feishu.body.timestamp,
      sign: feishuSign,
    });
    expect(Math.abs(Number(feishu.body.timestamp) * 1000 - Date.now())).toBeLessThan(60_000);

    const wecom = received.find((r) => r.path.startsWith('/wecom/'))!;
    expect(wecom.query.get('key')).toBe('WECOMKEY123');
    expect(wecom.body).toEqual({
      msgtype: 'markdown',
      markdown: { content: expect.stringContaining('Down is down') },
    });
  });

  it('reads a robot’s error code in a 200 answer: WeCom’s rate limit is retried, then given up', async () => {
    const { id } = await enqueue('wecom-busy', 'Down');
    const seen = await settled(id, 'failed');
    expect(seen.attempts.map((a) => [a.outcome, a.statusCode, a.errorClass])).toEqual([
      ['retryable', 200, 'http429'],
      ['retryable', 200, 'http429'],
    ]);
    expect(seen.attempts[0]!.error).toContain('45009');
  });

  it('mails through SMTP with authentication and the rendered templates', async () => {
    const { id } = await enqueue('mail', 'Down');
    const seen = await settled(id);
    expect(seen.attempts[0]).toMatchObject({ outcome: 'delivered', statusCode: 250 });
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({
      from: 'gantry@example.com',
      to: ['oncall@example.com'],
      user: 'alerts',
    });
    expect(mails[0]!.raw).toContain('Subject: Gantry: Down firing');
    expect(mails[0]!.raw).toContain('Down is down');
    // Header names are case-insensitive (nodemailer writes `-ID`).
    expect(mails[0]!.raw.toLowerCase()).toContain(`x-gantry-notification-id: ${id}`);
  });

  it('retries 5xx answers with backoff until delivered', async () => {
    const { id } = await enqueue('flaky', 'Down');
    const seen = await settled(id);
    expect(seen.attempts.map((a) => [a.outcome, a.statusCode])).toEqual([
      ['retryable', 503],
      ['retryable', 503],
      ['delivered', 200],
    ]);
    const times = seen.attempts.map((a) => Date.parse(a.at));
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(50);
  });

  it('times out a receiver that does not answer without holding back another channel', async () => {
    const slow = await enqueue('slow', 'Down');
    const fast = await enqueue('hook', 'Fast');
    const delivered = await settled(fast.id);
    const hung = await settled(slow.id, 'failed');
    expect(hung.attempts).toMatchObject([{ outcome: 'retryable', errorClass: 'timeout' }]);
    expect(hung.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(990);
    expect(Date.parse(delivered.notification.deliveredAt!)).toBeLessThan(
      Date.parse(hung.attempts[0]!.at) + 1000,
    );
  });

  it('serves the delivery log with filters and pages, and never shows a secret', async () => {
    const all = (await api.get('/api/teams/ops/notifications?limit=3')).body as NotificationList;
    expect(all.items).toHaveLength(3);
    expect(all.continue).toBeDefined();
    const rest = (await api.get(`/api/teams/ops/notifications?limit=100&continue=${all.continue}`))
      .body as NotificationList;
    expect(rest.items.length).toBeGreaterThan(3);
    expect(new Set([...all.items, ...rest.items].map((i) => i.id)).size).toBe(
      all.items.length + rest.items.length,
    );
    const failed = (await api.get('/api/teams/ops/notifications?state=failed')).body as NotificationList;
    expect(failed.items.map((i) => i.channel).sort()).toEqual(['slow', 'wecom-busy']);
    const byChannel = (await api.get('/api/teams/ops/notifications?channel=flaky')).body as NotificationList;
    expect(byChannel.items.map((i) => [i.channel, i.attempts])).toEqual([['flaky', 3]]);
    const text = JSON.stringify([all, rest]) + JSON.stringify(await detail(byChannel.items[0]!.id));
    for (const secret of [
      'XXXXSLACKTOKEN',
      'DINGTOKEN123',
      DING_SECRET,
      FEISHU_SECRET,
      'WECOMKEY123',
      SMTP_PASSWORD,
      'bearer-token-1234',
    ])
      expect(text).not.toContain(secret);
    expect((await api.get('/api/teams/ops/notifications?since=yesterday')).status).toBe(400);
    expect((await api.get('/api/teams/ops/notifications/nope')).status).toBe(404);
  });

  it('sends a test notification and answers its attempt', async () => {
    const before = received.filter((r) => r.path === '/webhook').length;
    const reply = await api.post('/api/teams/ops/notificationchannels/hook/test');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      channel: 'hook',
      attempt: { attempt: 1, outcome: 'delivered', statusCode: 200 },
    });
    expect(received.filter((r) => r.path === '/webhook')).toHaveLength(before + 1);
    expect((await api.post('/api/teams/ops/notificationchannels/none/test')).status).toBe(404);
  });

  it('gave only answers that /api/openapi.json declares', async () => {
    const doc = (await api.get('/api/openapi.json')).body;
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
