import { describe, expect, it } from 'vitest';
import { InputError, type EventRecord, type ExceptionRecord, type HealthStreamItem } from '@gantry/model';
import type { StoredAlert, StreamDirection, StreamPosition, StreamRow } from '@gantry/store';
import { ManualClock, callerWith } from '../exceptions/testing.ts';
import { HealthStreamService } from './health-stream-service.ts';
import { decodeStreamFilter, matchesStream } from './items.ts';

const viewer = callerWith('vera', { ops: 'viewer' });
const iso = (ms: number) => new Date(ms).toISOString();

/** The four tables in memory, read as HealthStreamRepository reads them. */
class MemoryStream {
  events: StreamRow<EventRecord>[] = [];
  alertRows: StreamRow<StoredAlert>[] = [];
  exceptionRows: StreamRow<ExceptionRecord>[] = [];
  seq = 0;

  static read<T>(
    rows: StreamRow<T>[],
    after: StreamPosition | undefined,
    direction: StreamDirection,
    limit: number,
  ) {
    const key = (p: StreamPosition) => `${p.at ?? ''}|${String(p.seq).padStart(10, '0')}`;
    const sorted = [...rows].sort((a, b) => (key(a.position) < key(b.position) ? -1 : 1));
    if (direction === 'desc') sorted.reverse();
    const beyond = sorted.filter(
      (row) =>
        !after || (direction === 'asc' ? key(row.position) > key(after) : key(row.position) < key(after)),
    );
    return Promise.resolve(beyond.slice(0, limit));
  }
  addEvent(id: number, lastSeen: string) {
    const event: EventRecord = {
      id,
      source: 'gantry',
      team: 'ops',
      cluster: 'ops/c1',
      namespace: '',
      objectKind: 'Node',
      objectName: `n${id}`,
      type: 'Normal',
      reason: 'NodeCordoned',
      message: `cordoned n${id}`,
      actor: 'olga',
      count: 1,
      firstSeen: lastSeen,
      lastSeen,
    };
    this.events = this.events.filter((row) => row.record.id !== id);
    this.events.push({ record: event, changedAt: lastSeen, position: { at: lastSeen, seq: id } });
  }
  addAlert(fingerprint: string, at: string, endsAt: string) {
    this.seq += 1;
    const alert: StoredAlert = {
      team: 'ops',
      fingerprint,
      labels: { alertname: 'DiskFull', severity: 'critical' },
      annotations: {},
      startsAt: at,
      endsAt,
      updatedAt: at,
      generatorURL: '',
      source: 'generic',
      entities: { cluster: 'c1' },
      seq: this.seq,
    };
    this.alertRows = this.alertRows.filter((row) => row.record.fingerprint !== fingerprint);
    this.alertRows.push({ record: alert, changedAt: at, position: { seq: this.seq } });
  }
  repository() {
    return {
      events: (_team: string, a: StreamPosition | undefined, d: StreamDirection, l: number) =>
        MemoryStream.read(this.events, a, d, l),
      alerts: (_team: string, a: StreamPosition | undefined, d: StreamDirection, l: number) =>
        MemoryStream.read(this.alertRows, a, d, l),
      alertSeq: () => Promise.resolve(this.seq),
      exceptions: (_team: string, a: StreamPosition | undefined, d: StreamDirection, l: number) =>
        MemoryStream.read(this.exceptionRows, a, d, l),
      risks: () => Promise.resolve([]),
    };
  }
}

const keys = (items: readonly HealthStreamItem[]) => items.map((item) => item.key);

describe('HealthStreamService', () => {
  it('follows a cursor: new rows come once caught up, rows written late within the settle window still come', async () => {
    const clock = new ManualClock();
    const memory = new MemoryStream();
    memory.addEvent(1, iso(clock.now() - 60_000));
    const service = new HealthStreamService({
      repository: memory.repository(),
      now: () => clock.now(),
      settleMs: 10_000,
    });
    const first = await service.read(viewer, 'ops', { limit: 50 });
    expect(keys(first.items)).toEqual(['event/1']);

    clock.advance(2_000);
    memory.addAlert('a1', iso(clock.now()), iso(clock.now() + 300_000));
    // Committed now, but timed 5 s ago (within the settle window): still read.
    memory.addEvent(2, iso(clock.now() - 5_000));
    const second = await service.read(viewer, 'ops', { since: first.cursor, limit: 50 });
    expect(keys(second.items).sort()).toEqual(['alert/a1', 'event/2']);
    expect(second.more).toBe(false);

    // The alert resolves: its row is written again, and comes again in its new state.
    clock.advance(2_000);
    memory.addAlert('a1', iso(clock.now()), iso(clock.now()));
    const third = await service.read(viewer, 'ops', { since: second.cursor, limit: 50 });
    const alert = third.items.find((item) => item.key === 'alert/a1');
    expect(alert?.kind === 'alert' && alert.alert.state).toBe('resolved');
    expect(third.items.filter((item) => item.kind === 'alert')).toHaveLength(1);
  });

  it('bounds a catch-up: `more` until every table is read, and then nothing is missing', async () => {
    const clock = new ManualClock();
    const memory = new MemoryStream();
    const service = new HealthStreamService({ repository: memory.repository(), now: () => clock.now() });
    const start = await service.read(viewer, 'ops', { limit: 3 });
    for (let i = 0; i < 10; i += 1) memory.addAlert(`a${i}`, iso(clock.now() + i), iso(clock.now() + 60_000));
    let cursor = start.cursor;
    const seen = new Set<string>();
    for (let call = 0; ; call += 1) {
      expect(call).toBeLessThan(10);
      const page = await service.read(viewer, 'ops', { since: cursor, limit: 3 });
      expect(page.items.length).toBeLessThanOrEqual(3);
      for (const item of page.items) seen.add(item.key);
      cursor = page.cursor;
      if (!page.more) break;
    }
    expect(seen.size).toBe(10);
  });

  it('refuses a cursor it did not issue (400 on since) and a continue token given as one', async () => {
    const memory = new MemoryStream();
    const service = new HealthStreamService({ repository: memory.repository(), now: () => Date.now() });
    const bad = service.read(viewer, 'ops', { since: 'not-a-cursor', limit: 10 });
    await expect(bad).rejects.toBeInstanceOf(InputError);
    await expect(bad).rejects.toMatchObject({ details: [{ path: 'querystring/since' }] });
    for (let i = 0; i < 3; i += 1) memory.addEvent(i + 1, iso(Date.now() - i * 1000));
    const page = await service.read(viewer, 'ops', { limit: 1 });
    expect(page.continue).toBeDefined();
    await expect(service.read(viewer, 'ops', { since: page.continue!, limit: 1 })).rejects.toMatchObject({
      details: [{ path: 'querystring/since' }],
    });
  });

  it('pages older items by continue, newest first, each once', async () => {
    const memory = new MemoryStream();
    const service = new HealthStreamService({ repository: memory.repository(), now: () => Date.now() });
    for (let i = 0; i < 5; i += 1) memory.addEvent(i + 1, iso(Date.parse('2026-01-01T00:00:00Z') + i * 1000));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await service.read(viewer, 'ops', { limit: 2, ...(token ? { continue: token } : {}) });
      seen.push(...keys(page.items));
      token = page.continue;
    } while (token);
    expect(seen).toEqual(['event/5', 'event/4', 'event/3', 'event/2', 'event/1']);
  });
});

describe('the stream filters', () => {
  const memory = new MemoryStream();
  memory.addEvent(7, '2026-01-01T00:00:00.000Z');
  memory.addAlert('f1', '2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z');
  const event: HealthStreamItem = {
    kind: 'event',
    key: 'event/7',
    at: '',
    changedAt: '',
    event: memory.events[0]!.record,
  };
  const alert: HealthStreamItem = {
    kind: 'alert',
    key: 'alert/f1',
    at: '',
    changedAt: '',
    alert: { ...memory.alertRows[0]!.record, state: 'firing' },
  };
  const match = (item: HealthStreamItem, query: Parameters<typeof decodeStreamFilter>[0]) =>
    matchesStream(item, decodeStreamFilter(query));

  it('keeps the kinds asked for', () => {
    expect(match(event, { kinds: 'alert' })).toBe(false);
    expect(match(alert, { kinds: 'alert,risk' })).toBe(true);
  });
  it('matches severity on alert labels, and drops the kinds without one', () => {
    expect(match(alert, { severity: 'critical' })).toBe(true);
    expect(match(alert, { severity: 'minor' })).toBe(false);
    expect(match(event, { severity: 'critical' })).toBe(false);
  });
  it('matches entity, cluster and text', () => {
    expect(match(event, { entity: 'Node/n7' })).toBe(true);
    expect(match(event, { entity: 'Node/n8' })).toBe(false);
    expect(match(event, { cluster: 'c1' })).toBe(true);
    expect(match(alert, { cluster: 'c2' })).toBe(false);
    expect(match(alert, { entity: 'Cluster/c1' })).toBe(true);
    expect(match(event, { q: 'CORDONED N7' })).toBe(true);
    expect(match(alert, { q: 'memory' })).toBe(false);
  });
  it('refuses an entity that is not Kind/name, with its parameter', () => {
    expect(() => decodeStreamFilter({ entity: 'n7' })).toThrow(InputError);
  });
});
