import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertDispatcher, MemoryNotificationLog, formatLabels, type DispatchAlert } from '@gantry/alerts';
import { systemClock } from '@gantry/controllers';
import type { AlertRoutingSpec, InhibitRuleSpec } from '@gantry/model';
import { labelsFingerprint } from '../../packages/alerts/src/dispatch/acceptance.ts';
import { startAlertmanager, type Started } from '../support/monitoring.ts';

/**
 * The differential test (issue 10): one timed alert stream goes to a real Alertmanager 0.25 and to
 * Gantry's dispatcher on the real clock, with the same routing, inhibition and silences. Their
 * notifications are compared group by group: the same alerts grouped together, the same sequence of
 * notifications, each within a timer tolerance. Where Gantry is meant to differ (a resolve after a
 * silence, alertmanager#226) the test asserts the difference.
 *
 * Timers: group_wait 1s, group_interval 3s, repeat_interval 8s. A group that starts at 0 flushes at
 * 1, 4, 7, 10, ...; every push is at least 0.5 s away from any group's tick so that both sides see it
 * on the same side of a tick.
 */

const TOLERANCE_S = 1;

const routing: AlertRoutingSpec = {
  receivers: ['default'],
  groupBy: ['alertname'],
  groupWait: '1s',
  groupInterval: '3s',
  repeatInterval: '8s',
  routes: [
    { matchers: ['team="db"'], receivers: ['db'], groupBy: ['alertname', 'cluster'], continue: true },
    { matchers: ['severity="critical"'], receivers: ['pager'] },
  ],
};
const inhibit: InhibitRuleSpec = {
  sourceMatchers: ['severity="critical"'],
  targetMatchers: ['severity="warning"'],
  equal: ['cluster'],
};

const A1 = { alertname: 'CPU', instance: '1', team: 'web', severity: 'warning', cluster: 'a' };
const A2 = { alertname: 'CPU', instance: '2', team: 'web', severity: 'warning', cluster: 'b' };
const D1 = { alertname: 'Disk', team: 'db', severity: 'warning', cluster: 'a' };
/** Reaches two routes: db (which has continue) and pager. */
const D2 = { alertname: 'Backup', team: 'db', severity: 'critical', cluster: 'c' };
const S1 = { alertname: 'Silenced', team: 'web', severity: 'info' };
const R1 = { alertname: 'Resolver', team: 'web', severity: 'info' };
const N1 = { alertname: 'NodeDown', team: 'web', severity: 'critical', cluster: 'b' };

type Step =
  | { at: number; fire: Record<string, string>[] }
  | { at: number; resolve: Record<string, string>[] }
  | { at: number; silence: string };

const STREAM: Step[] = [
  { at: 0, silence: 'Silenced' },
  { at: 0, fire: [A1, A2, D1, D2, S1, R1] },
  { at: 2.5, silence: 'Resolver' },
  { at: 5.5, fire: [N1] },
  { at: 5.5, resolve: [R1] },
  { at: 8.5, resolve: [A1] },
  { at: 11.5, resolve: [N1] },
  { at: 14.5, resolve: [A2] },
  { at: 17.5, resolve: [S1, D2] },
  { at: 20.5, resolve: [D1] },
];
const END_S = 24;

interface Seen {
  at: number;
  receiver: string;
  groupLabels: Record<string, string>;
  alerts: { labels: Record<string, string>; status: string; fingerprint: string }[];
}

/** A notification as compared: the group, and the alerts with their status, in label order. */
const groupOf = (seen: Seen) => `${seen.receiver} ${formatLabels(seen.groupLabels)}`;
const contentOf = (seen: Seen) =>
  seen.alerts
    .map((alert) => `${alert.status} ${formatLabels(alert.labels)}`)
    .sort()
    .join('; ');

function byGroup(all: Seen[]): Map<string, Seen[]> {
  const groups = new Map<string, Seen[]>();
  for (const seen of [...all].sort((a, b) => a.at - b.at)) {
    const list = groups.get(groupOf(seen)) ?? [];
    list.push(seen);
    groups.set(groupOf(seen), list);
  }
  return groups;
}

describe('dispatch: differential against Alertmanager 0.25', () => {
  let alertmanager: Started | undefined;
  let webhook: Server;
  let amUrl: string;
  let t0 = 0;
  const fromAlertmanager: Seen[] = [];
  const fromGantry: Seen[] = [];
  let dispatcher: AlertDispatcher;

  beforeAll(async () => {
    webhook = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          receiver: string;
          groupLabels: Record<string, string>;
          alerts: { labels: Record<string, string>; status: string; fingerprint: string }[];
        };
        fromAlertmanager.push({
          at: (Date.now() - t0) / 1000,
          receiver: body.receiver,
          groupLabels: body.groupLabels,
          alerts: body.alerts.map(({ labels, status, fingerprint }) => ({ labels, status, fingerprint })),
        });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const hookPort = (webhook.address() as { port: number }).port;
    const receiver = (name: string) => ({
      name,
      webhook_configs: [{ url: `http://127.0.0.1:${hookPort}/${name}`, send_resolved: true }],
    });
    // The same tree in Alertmanager's configuration (JSON is YAML).
    const config = {
      route: {
        receiver: 'default',
        group_by: routing.groupBy,
        group_wait: routing.groupWait,
        group_interval: routing.groupInterval,
        repeat_interval: routing.repeatInterval,
        routes: routing.routes!.map((route) => ({
          receiver: route.receivers![0],
          matchers: route.matchers,
          ...(route.groupBy ? { group_by: route.groupBy } : {}),
          continue: route.continue ?? false,
        })),
      },
      inhibit_rules: [
        {
          source_matchers: inhibit.sourceMatchers,
          target_matchers: inhibit.targetMatchers,
          equal: inhibit.equal,
        },
      ],
      receivers: ['default', 'db', 'pager'].map(receiver),
    };
    alertmanager = await startAlertmanager(JSON.stringify(config, null, 2));
    amUrl = alertmanager.url;

    dispatcher = new AlertDispatcher({
      clock: systemClock(),
      log: new MemoryNotificationLog(),
      sink: {
        notify: (notification) => {
          fromGantry.push({
            at: (Date.now() - t0) / 1000,
            receiver: notification.receiver,
            groupLabels: { ...notification.groupLabels },
            alerts: notification.alerts.map(({ labels, status, fingerprint }) => ({
              labels: { ...labels },
              status,
              fingerprint,
            })),
          });
          return Promise.resolve();
        },
      },
    });
    dispatcher.setTeamConfig('ops', {
      routings: [{ name: 'main', spec: routing }],
      inhibitRules: [{ name: 'critical-mutes-warning', spec: inhibit }],
      timeIntervals: [],
    });
  });

  afterAll(async () => {
    await dispatcher?.stop();
    await alertmanager?.stop();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  it('groups, times and counts notifications as Alertmanager does, and delivers the resolve it drops', async () => {
    t0 = Date.now();
    const startsAt = new Map<string, number>();
    const silences: {
      id: string;
      matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
      startsAt: number;
      endsAt: number;
    }[] = [];
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${amUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.ok, `${path}: ${response.status} ${await response.text()}`).toBe(true);
    };
    for (const step of STREAM) {
      const wait = t0 + step.at * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      const now = Date.now();
      if ('silence' in step) {
        const matchers = [{ name: 'alertname', value: step.silence, isRegex: false, isEqual: true }];
        const endsAt = now + 60_000;
        await post('/api/v2/silences', {
          matchers,
          startsAt: new Date(now).toISOString(),
          endsAt: new Date(endsAt).toISOString(),
          createdBy: 'differential-test',
          comment: 'silence',
        });
        silences.push({ id: step.silence, matchers, startsAt: now, endsAt });
        dispatcher.setSilences('ops', silences);
        continue;
      }
      const resolving = 'resolve' in step;
      const labelSets = resolving ? step.resolve : step.fire;
      for (const labels of labelSets) if (!resolving) startsAt.set(formatLabels(labels), now);
      await post(
        '/api/v2/alerts',
        labelSets.map((labels) => ({
          labels,
          annotations: { summary: labels.alertname },
          startsAt: new Date(startsAt.get(formatLabels(labels))!).toISOString(),
          ...(resolving ? { endsAt: new Date(now).toISOString() } : {}),
          generatorURL: 'http://prometheus.test/graph',
        })),
      );
      dispatcher.upsertAlerts(
        'ops',
        labelSets.map((labels): DispatchAlert => ({
          fingerprint: labelsFingerprint(labels),
          labels,
          annotations: { summary: labels.alertname! },
          startsAt: startsAt.get(formatLabels(labels))!,
          endsAt: resolving ? now : null,
          updatedAt: now,
          generatorURL: 'http://prometheus.test/graph',
        })),
      );
    }
    await sleep(t0 + END_S * 1000 - Date.now());

    const am = byGroup(fromAlertmanager);
    const gantry = byGroup(fromGantry);
    const report = (groups: Map<string, Seen[]>) =>
      [...groups]
        .map(
          ([group, list]) =>
            `${group}\n${list.map((s) => `  ${s.at.toFixed(2)}s ${contentOf(s)}`).join('\n')}`,
        )
        .join('\n');
    const context = `Alertmanager:\n${report(am)}\nGantry:\n${report(gantry)}`;

    // The same groups reach the same receivers; the silenced alert that never fired visibly reaches none.
    expect([...gantry.keys()].sort(), context).toEqual([...am.keys()].sort());
    expect([...am.keys()].sort()).toEqual([
      'db {alertname="Backup", cluster="c"}',
      'db {alertname="Disk", cluster="a"}',
      'default {alertname="CPU"}',
      'default {alertname="Resolver"}',
      'pager {alertname="Backup"}',
      'pager {alertname="NodeDown"}',
    ]);
    // Fingerprints are Alertmanager's.
    for (const seen of fromAlertmanager) {
      for (const alert of seen.alerts) expect(labelsFingerprint(alert.labels)).toBe(alert.fingerprint);
    }

    for (const [group, amList] of am) {
      let gantryList = gantry.get(group) ?? [];
      if (group === 'default {alertname="Resolver"}') {
        // Where Gantry differs: Alertmanager drops the resolve of the alert silenced after it was notified
        // (alertmanager#226); Gantry delivers it, marked as resolved while muted.
        expect(amList.map(contentOf), context).toEqual([`firing ${formatLabels(R1)}`]);
        expect(gantryList.map(contentOf), context).toEqual([
          `firing ${formatLabels(R1)}`,
          `resolved ${formatLabels(R1)}`,
        ]);
        expect(gantryList[1]!.at, context).toBeGreaterThan(5.5);
        gantryList = gantryList.slice(0, 1);
      }
      expect(gantryList.map(contentOf), `${group}\n${context}`).toEqual(amList.map(contentOf));
      amList.forEach((seen, index) => {
        expect(
          Math.abs(seen.at - gantryList[index]!.at),
          `${group} #${index}\n${context}`,
        ).toBeLessThanOrEqual(TOLERANCE_S);
      });
    }
    // continue: the db route passed Backup on to the pager route, in a group of that route's own.
    for (const group of ['db {alertname="Backup", cluster="c"}', 'pager {alertname="Backup"}']) {
      expect(am.get(group)?.map(contentOf), group).toEqual([
        `firing ${formatLabels(D2)}`,
        `firing ${formatLabels(D2)}`,
        `resolved ${formatLabels(D2)}`,
      ]);
    }
    // The shared semantics in numbers: the CPU group's four notifications (first, a resolve while its
    // other alert is inhibited, that alert once uninhibited, its resolve) and the Disk group's repeats.
    expect(am.get('default {alertname="CPU"}')?.map(contentOf)).toEqual([
      `firing ${formatLabels(A1)}; firing ${formatLabels(A2)}`,
      `resolved ${formatLabels(A1)}`,
      `firing ${formatLabels(A2)}`,
      `resolved ${formatLabels(A2)}`,
    ]);
    expect(am.get('db {alertname="Disk", cluster="a"}')?.map(contentOf)).toEqual([
      `firing ${formatLabels(D1)}`,
      `firing ${formatLabels(D1)}`,
      `firing ${formatLabels(D1)}`,
      `resolved ${formatLabels(D1)}`,
    ]);
  });
});
