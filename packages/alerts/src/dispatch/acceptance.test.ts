import { describe, expect, it } from 'vitest';
import { AcceptanceHarness, alert, firing, resolved } from './acceptance.ts';

// Timelines in seconds from a Monday 10:00 UTC; group_wait 1s and group_interval 5s unless said otherwise,
// so a group flushes at 1, 6, 11, ... seconds after its first alert.
const timers = { groupWait: '1s', groupInterval: '5s', repeatInterval: '1h' };

describe('dispatch acceptance', () => {
  it('groups by labels, waits group_wait, sends changes on group_interval and repeats on repeat_interval', async () => {
    const a1 = alert({ alertname: 'A', instance: '1' });
    const a2 = alert({ alertname: 'A', instance: '2' });
    const a3 = alert({ alertname: 'A', instance: '3' });
    const b = alert({ alertname: 'B' });
    const h = new AcceptanceHarness({
      routing: { receivers: ['default'], groupBy: ['alertname'], ...timers, repeatInterval: '60s' },
    })
      .push(0, a1.active(0), b.active(0))
      .push(0.5, a2.active(0.5))
      .want(1, 1, 'default', firing(a1.labels), firing(a2.labels))
      .want(1, 1, 'default', firing(b.labels))
      .nothing(1.1, 5.9)
      .push(3, a3.active(3))
      // B is unchanged at 6: only A, which gained a3, is sent.
      .want(6, 6, 'default', firing(a1.labels), firing(a2.labels), firing(a3.labels))
      .nothing(6.1, 60.9)
      // Repeats: B last sent at 1 repeats at the first tick from 61, A (sent at 6) at 66.
      .want(61, 61, 'default', firing(b.labels))
      .want(66, 66, 'default', firing(a1.labels), firing(a2.labels), firing(a3.labels));
    expect(await h.run(70)).toEqual([]);
  });

  it('sends a resolve at the next tick and then forgets the group', async () => {
    const a = alert({ alertname: 'A' });
    const timed = alert({ alertname: 'T' });
    const h = new AcceptanceHarness({
      routing: { receivers: ['default'], groupBy: ['alertname'], ...timers },
    })
      .push(0, a.active(0), timed.active(0, 8))
      .want(1, 1, 'default', firing(a.labels))
      .want(1, 1, 'default', firing(timed.labels))
      .push(7, a.active(0, 7))
      .want(11, 11, 'default', resolved(a.labels))
      // T resolves by its endsAt passing, without a new push.
      .want(11, 11, 'default', resolved(timed.labels))
      .nothing(11.1, 40);
    expect(await h.run(40)).toEqual([]);
    expect(h.dispatcher.groups('ops')).toEqual([]);
  });

  it('reports an alert that fired and resolved between two ticks with the group, not alone', async () => {
    const x = alert({ alertname: 'G', instance: 'x' });
    const y = alert({ alertname: 'G', instance: 'y' });
    const z = alert({ alertname: 'H' });
    const h = new AcceptanceHarness({
      routing: { receivers: ['default'], groupBy: ['alertname'], ...timers },
    })
      .push(0, x.active(0), z.active(0, 0.5))
      .want(1, 1, 'default', firing(x.labels))
      .push(2, y.active(2))
      .push(4, y.active(2, 4))
      .want(6, 6, 'default', firing(x.labels), resolved(y.labels))
      // H never reached a receiver as firing: its resolve alone is not news.
      .nothing(1.1, 5.9);
    expect(await h.run(20)).toEqual([]);
  });

  it('matches routes depth first and goes on past a route only with continue', async () => {
    const page = alert({ alertname: 'Disk', team: 'db', severity: 'page' });
    const web = alert({ alertname: 'Slow', team: 'web' });
    const h = new AcceptanceHarness({
      routing: {
        receivers: ['default'],
        groupBy: ['alertname'],
        ...timers,
        routes: [
          { matchers: ['team="db"'], receivers: ['db'], continue: true },
          { matchers: ['severity=~"page|critical"'], receivers: ['pager', 'phone'], groupWait: '2s' },
          { matchers: ['team="db"'], receivers: ['db-late'] },
        ],
      },
    })
      .push(0, page.active(0), web.active(0))
      .want(1, 1, 'db', firing(page.labels))
      .want(2, 2, 'pager', firing(page.labels))
      .want(2, 2, 'phone', firing(page.labels))
      .want(1, 1, 'default', firing(web.labels));
    expect(await h.run(10)).toEqual([]);
  });

  it("groups by every label with group_by ['...']", async () => {
    const one = alert({ alertname: 'A', instance: '1' });
    const two = alert({ alertname: 'A', instance: '2' });
    const h = new AcceptanceHarness({ routing: { receivers: ['default'], groupBy: ['...'], ...timers } })
      .push(0, one.active(0), two.active(0))
      .want(1, 1, 'default', firing(one.labels))
      .want(1, 1, 'default', firing(two.labels));
    expect(await h.run(5)).toEqual([]);
    expect(h.received.map((r) => r.notification.groupLabels)).toEqual(
      expect.arrayContaining([one.labels, two.labels]),
    );
  });

  it('inhibits targets with equal labels while the source fires, never the source itself', async () => {
    const critA = alert({ alertname: 'NodeDown', severity: 'critical', cluster: 'a' });
    const warnA = alert({ alertname: 'PodSlow', severity: 'warning', cluster: 'a' });
    const warnB = alert({ alertname: 'PodSlow', severity: 'warning', cluster: 'b' });
    const h = new AcceptanceHarness({
      routing: { receivers: ['default'], groupBy: ['cluster'], ...timers },
      inhibitRules: {
        'critical-mutes-warning': {
          sourceMatchers: ['severity="critical"'],
          targetMatchers: ['severity=~"critical|warning"'],
          equal: ['cluster'],
        },
      },
    })
      .push(0, critA.active(0), warnA.active(0), warnB.active(0))
      .want(1, 1, 'default', firing(critA.labels))
      .want(1, 1, 'default', firing(warnB.labels))
      .push(8, critA.active(0, 8))
      // The source resolved: the warning it muted is sent with the resolve.
      .want(11, 11, 'default', resolved(critA.labels), firing(warnA.labels));
    expect(await h.run(15)).toEqual([]);
  });

  it('mutes silenced alerts and notifies them when the silence ends', async () => {
    const a = alert({ alertname: 'A' });
    const h = new AcceptanceHarness({
      routing: { receivers: ['default'], groupBy: ['alertname'], ...timers },
    })
      .silence(0, 's1', 'alertname="A"', 0, 20)
      .push(0, a.active(0))
      .nothing(0, 20.9)
      .want(21, 21, 'default', firing(a.labels));
    expect(await h.run(25)).toEqual([]);
  });

  it('delivers the resolve of a notified alert that was silenced since (alertmanager#226)', async () => {
    const a = alert({ alertname: 'A' });
    const h = new AcceptanceHarness({
      routing: { receivers: ['default'], groupBy: ['alertname'], ...timers },
    })
      .push(0, a.active(0))
      .want(1, 1, 'default', firing(a.labels))
      .silence(3, 's1', 'alertname="A"', 3, 1000)
      .nothing(1.1, 10.9)
      .push(10, a.active(0, 10))
      .want(11, 11, 'default', resolved(a.labels))
      .nothing(11.1, 60);
    expect(await h.run(60)).toEqual([]);
    const resolve = h.received.at(-1)?.notification;
    expect(resolve?.alerts[0]?.resolvedWhileMuted).toBe(true);
    expect(resolve?.status).toBe('resolved');
  });

  it('delivers the resolve of a notified alert that was inhibited since', async () => {
    const target = alert({ alertname: 'PodSlow', severity: 'warning', cluster: 'a' });
    const source = alert({ alertname: 'NodeDown', severity: 'critical', cluster: 'a' });
    const h = new AcceptanceHarness({
      routing: { receivers: ['default'], groupBy: ['alertname'], ...timers },
      inhibitRules: {
        node: {
          sourceMatchers: ['severity="critical"'],
          targetMatchers: ['severity="warning"'],
          equal: ['cluster'],
        },
      },
    })
      .push(0, target.active(0))
      .want(1, 1, 'default', firing(target.labels))
      .push(2, source.active(2))
      .want(3, 3, 'default', firing(source.labels))
      .push(4, target.active(0, 4))
      // The target's group flushes at 6: its resolve arrives although the source still inhibits it.
      .want(6, 6, 'default', resolved(target.labels))
      .nothing(6.1, 30);
    expect(await h.run(30)).toEqual([]);
  });

  it('holds notifications during mute time intervals and outside active ones, read in the time zone', async () => {
    const a = alert({ alertname: 'A' });
    const b = alert({ alertname: 'B' });
    const c = alert({ alertname: 'C' });
    // Second 0 is Monday 10:00 UTC, which is 19:00 in Tokyo.
    const h = new AcceptanceHarness({
      routing: {
        receivers: ['default'],
        groupBy: ['alertname'],
        ...timers,
        routes: [
          { matchers: ['alertname="A"'], muteTimeIntervals: ['first-minute'] },
          { matchers: ['alertname="B"'], activeTimeIntervals: ['from-minute-two'] },
          { matchers: ['alertname="C"'], muteTimeIntervals: ['weekend'] },
        ],
      },
      timeIntervals: {
        'first-minute': {
          timeIntervals: [{ times: [{ startTime: '19:00', endTime: '19:01' }], location: 'Asia/Tokyo' }],
        },
        'from-minute-two': {
          timeIntervals: [{ times: [{ startTime: '10:02', endTime: '18:00' }], weekdays: ['monday:friday'] }],
        },
        weekend: { timeIntervals: [{ weekdays: ['saturday', 'sunday'] }] },
      },
    })
      .push(0, a.active(0), b.active(0), c.active(0))
      .want(1, 1, 'default', firing(c.labels))
      .nothing(1.1, 60.9)
      .want(61, 61, 'default', firing(a.labels))
      .want(121, 121, 'default', firing(b.labels));
    expect(await h.run(125)).toEqual([]);
  });

  it('holds a flapping alert, reports it once as flapping and resolves it when it settles', async () => {
    const f = alert({ alertname: 'Flappy' });
    const h = new AcceptanceHarness({
      routing: { receivers: ['default'], groupBy: ['alertname'], ...timers },
      flapping: { transitions: 4, windowMs: 60_000, quietMs: 30_000 },
    })
      .push(0, f.active(0))
      .want(1, 1, 'default', firing(f.labels, false))
      .push(2, f.active(0, 2))
      .push(3, f.active(3))
      .push(4, f.active(3, 4))
      .push(5, f.active(5))
      .want(6, 6, 'default', firing(f.labels, true))
      .push(7, f.active(5, 7))
      .push(8, f.active(8))
      .push(9, f.active(8, 9))
      .nothing(6.1, 40.9)
      // Quiet since 9 s: it settles at 39 s, and the tick at 41 s says it resolved.
      .want(41, 41, 'default', resolved(f.labels))
      .nothing(41.1, 100);
    expect(await h.run(100)).toEqual([]);
  });

  it('a harness that sees an unexpected notification says so', async () => {
    const a = alert({ alertname: 'A' });
    const h = new AcceptanceHarness({ routing: { receivers: ['default'], ...timers } })
      .push(0, a.active(0))
      .nothing(0, 5);
    const problems = await h.run(5);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^unexpected: default at 1s/u);
    expect(problems[1]).toMatch(/^not quiet in \[0, 5\]/u);
  });
});
