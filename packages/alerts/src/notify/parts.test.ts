import { describe, expect, it } from 'vitest';
import type { WebhookMessage } from '@gantry/model';
import { retryDelayMs } from './backoff.ts';
import { readAnswer, webhookPayload } from './channels.ts';
import { maskSecrets } from './attempt.ts';
import { NotificationTemplateRenderer, defaultTemplates } from './template.ts';
import { TokenBucket } from './token-bucket.ts';

const alert = (name: string, status: 'firing' | 'resolved', summary?: string) => ({
  status,
  labels: { alertname: name, instance: `${name}:9100` },
  annotations: summary ? { summary } : ({} as Record<string, string>),
  startsAt: '2026-12-02T10:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: '',
  fingerprint: '0123456789abcdef',
});

const message: WebhookMessage = {
  version: '4',
  groupKey: '{}:{alertname="Down"}',
  truncatedAlerts: 2,
  status: 'firing',
  receiver: 'ops',
  groupLabels: { alertname: 'Down' },
  commonLabels: { alertname: 'Down' },
  commonAnnotations: {},
  externalURL: '',
  alerts: [alert('Down', 'firing', 'db1 is down'), alert('Down', 'resolved')],
};

describe('templates', () => {
  const renderer = new NotificationTemplateRenderer();

  it('renders the defaults over a message', () => {
    const { title, body } = defaultTemplates('email');
    expect(renderer.render(title, message)).toEqual({ ok: true, text: '[FIRING:1] Down' });
    expect(renderer.render(body, message)).toEqual({
      ok: true,
      text: '- firing db1 is down (alertname=Down, instance=Down:9100)\n- resolved Down (alertname=Down, instance=Down:9100)\n(2 more)',
    });
    expect(renderer.render(title, { ...message, status: 'resolved', groupLabels: {} })).toEqual({
      ok: true,
      text: '[RESOLVED] Down',
    });
  });

  it('runs no code: only CEL over the message, errors reported', () => {
    expect(renderer.check('${process.exit(1)}')).toBeUndefined(); // parses as CEL…
    expect(renderer.render('${process.exit(1)}', message)).toMatchObject({ ok: false }); // …and finds no `process`
    expect(renderer.check('${ 1 + }')).toContain('syntax error');
    expect(renderer.render('a $${literal} ${receiver}', message)).toEqual({
      ok: true,
      text: 'a ${literal} ops',
    });
  });
});

describe('channel answers and payloads', () => {
  it('reads the robots’ error codes in a 200 answer', () => {
    expect(readAnswer('webhook', 'anything')).toEqual({ ok: true });
    expect(readAnswer('dingtalk', '{"errcode":0,"errmsg":"ok"}')).toEqual({ ok: true });
    expect(readAnswer('dingtalk', '{"errcode":130101,"errmsg":"send too fast"}')).toMatchObject({
      ok: false,
      rateLimited: true,
    });
    expect(readAnswer('wecom', '{"errcode":93000,"errmsg":"invalid webhook url"}')).toMatchObject({
      ok: false,
      rateLimited: false,
    });
    expect(readAnswer('feishu', '{"code":19021,"msg":"sign match fail"}')).toMatchObject({ ok: false });
    expect(readAnswer('feishu', 'not json')).toMatchObject({ ok: false });
  });

  it('cuts a webhook payload to maxAlerts and counts the rest', () => {
    expect(webhookPayload(message, 0)).toBe(message);
    const cut = webhookPayload(message, 1);
    expect(cut.alerts).toHaveLength(1);
    expect(cut.truncatedAlerts).toBe(3);
  });

  it('masks secret values and their URL-encoded forms', () => {
    expect(maskSecrets('GET /hook?key=a b&c', { url: 'a b&c' })).toBe('GET /hook?key=***');
    expect(maskSecrets('x a%20b%26c y', { sign: 'a b&c' })).toBe('x *** y');
  });
});

describe('retry delay', () => {
  const policy = { maxAttempts: 6, initialBackoffSeconds: 1, maxBackoffSeconds: 10 };
  it('doubles, is capped, and jitters between half and all', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(policy, n, () => 0))).toEqual([
      500, 1000, 2000, 4000, 5000,
    ]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(policy, n, () => 0.999999))).toEqual([
      1000, 2000, 4000, 8000, 10000,
    ]);
  });
});

describe('TokenBucket', () => {
  it('spends its burst, then refills at its rate, never above the burst', () => {
    const bucket = new TokenBucket(60, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
    expect(bucket.readyAt(0)).toBe(1000);
    expect(bucket.take(999)).toBe(false);
    expect(bucket.take(1000)).toBe(true);
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([true, true, false]);
    bucket.configure(6, 1, 60_000);
    expect(bucket.readyAt(60_000)).toBe(70_000);
  });
});
