import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExceptionRecord, HealthStreamItem } from '@gantry/model';
import { HealthStreamService } from '@gantry/health';
import { Store, type AlertWrite } from '@gantry/store';

const T = (minute: number) => new Date(Date.UTC(2026, 2, 1, 10, minute)).toISOString();
const viewer = {
  principal: { username: 'vera', admin: false, teams: new Map([['ops', 'viewer' as const]]) },
  source: 'test',
};

const alert = (name: string, over: Partial<AlertWrite> = {}): AlertWrite => ({
  team: 'ops',
  fingerprint: Buffer.from(name).toString('hex').slice(0, 16).padEnd(16, '0'),
  labels: { alertname: name, severity: 'critical', cluster: 'c1' },
  annotations: {},
  startsAt: T(0),
  endsAt: T(60),
  generatorURL: '',
  source: 'prometheus',
  entities: { cluster: 'c1' },
  ...over,
});

const exception = (id: string, at: string, over: Partial<ExceptionRecord> = {}): ExceptionRecord => ({
  id,
  team: 'ops',
  title: `exception ${id}`,
  severity: 'major',
  state: 'open',
  entities: [{ kind: 'Node', name: 'w-1', cluster: 'c1' }],
  origin: 'manual',
  openedAt: at,
  episodeOpenedAt: at,
  levelRaisedAt: {},
  followUps: [],
  alertCount: 0,
  firingAlertCount: 0,
  reopenCount: 0,
  createdBy: 'otto',
  changedAt: at,
  updatedAt: at,
  ...over,
});

/**
 * The health stream's reads (ADR 0027, HealthStreamRepository under HealthStreamService) on one database:
 * the four tables in one answer, the other team's rows left out, paging by continue, and a cursor that
 * brings new rows and rows written again in their new state.
 */
export function describeHealthStream(
  database: string,
  url: () => Promise<{ url: string; drop(): Promise<void> }>,
) {
  describe(`health stream reads on ${database}`, () => {
    let store: Store;
    let drop: () => Promise<void>;
    let clock = Date.parse(T(10));
    let service: HealthStreamService;

    beforeAll(async () => {
      const target = await url();
      drop = target.drop;
      store = await Store.open({ url: target.url });
      service = new HealthStreamService({
        repository: store.healthStream,
        now: () => clock,
        settleMs: 5 * 60_000,
      });
      const event = (team: string, name: string, minute: number) => ({
        team,
        cluster: `${team}/c1`,
        namespace: '',
        objectKind: 'Node',
        objectName: name,
        type: 'Normal',
        reason: 'NodeCordoned',
        message: `cordoned ${name}`,
        actor: 'otto',
        count: 1,
        firstSeen: T(minute),
        lastSeen: T(minute),
      });
      await store.events.fold([event('ops', 'w-1', 1), event('ops', 'w-2', 3), event('dev', 'w-9', 4)]);
      await store.alerts.upsert([alert('DiskFull'), alert('Other', { team: 'dev' })], T(2));
      await store.exceptions.insert(exception('x1', T(5)));
      await store.risks.observe(
        { team: 'ops', kind: 'Inspection', name: 'capacity', check: 'disk' },
        [
          {
            key: 'w-3',
            title: 'w-3 disk',
            score: 70,
            entities: [{ kind: 'Node', name: 'w-3' }],
            details: {},
          },
        ],
        T(6),
      );
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    const keys = (items: readonly HealthStreamItem[]) => items.map((item) => item.key);

    it("answers the team's four tables, newest change first, and pages older ones", async () => {
      const page = await service.read(viewer, 'ops', { limit: 100 });
      expect(page.items.map((item) => [item.kind, item.changedAt])).toEqual([
        ['risk', T(6)],
        ['exception', T(5)],
        ['event', T(3)],
        ['alert', T(2)],
        ['event', T(1)],
      ]);
      const paged: string[] = [];
      let token: string | undefined;
      do {
        const next = await service.read(viewer, 'ops', { limit: 2, ...(token ? { continue: token } : {}) });
        paged.push(...keys(next.items));
        token = next.continue;
      } while (token);
      expect(paged).toEqual(keys(page.items));
    });

    it('brings after a cursor the rows written since, in their new state', async () => {
      const start = await service.read(viewer, 'ops', { limit: 100 });
      clock = Date.parse(T(20));
      await store.alerts.upsert([alert('DiskFull', { endsAt: T(19) })], T(19));
      await store.exceptions.update(
        exception('x1', T(5), {
          state: 'acknowledged',
          acknowledgedAt: T(18),
          changedAt: T(18),
          updatedAt: T(18),
        }),
      );
      await store.risks.observe(
        { team: 'ops', kind: 'Inspection', name: 'capacity', check: 'disk' },
        [],
        T(17),
      );
      const page = await service.read(viewer, 'ops', { since: start.cursor, limit: 100 });
      expect(page.more).toBe(false);
      const byKey = new Map(page.items.map((item) => [item.key, item]));
      expect(byKey.get('exception/x1')).toMatchObject({ exception: { state: 'acknowledged' }, at: T(18) });
      const diskFull = [...byKey.values()].find((item) => item.kind === 'alert');
      expect(diskFull).toMatchObject({
        alert: { state: 'resolved', labels: { alertname: 'DiskFull' } },
        at: T(19),
      });
      expect([...byKey.values()].find((item) => item.kind === 'risk')).toMatchObject({
        risk: { state: 'gone' },
      });
      expect(page.items.some((item) => item.kind === 'event')).toBe(false);

      // Caught up: a later read brings what was written in the settle window again, and nothing else.
      const again = await service.read(viewer, 'ops', { since: page.cursor, limit: 100 });
      expect(keys(again.items).sort()).toEqual(
        keys(page.items)
          .filter((key) => !key.startsWith('alert/'))
          .sort(),
      );
    });
  });
}
