import { describe, expect, it } from 'vitest';
import type { HealthStreamItem } from '@gantry/client';
import {
  applyStreamPage,
  orderedStream,
  streamFilterFromParams,
  streamFilterParams,
  streamRowText,
} from './health-stream';

const exception = (id: string, state: 'open' | 'acknowledged', changedAt: string): HealthStreamItem => ({
  kind: 'exception',
  key: `exception/${id}`,
  at: changedAt,
  changedAt,
  exception: {
    id,
    team: 'ops',
    title: `exception ${id}`,
    severity: 'major',
    state,
    entities: [{ kind: 'Node', name: 'w-1' }],
    origin: 'manual',
    openedAt: '2026-01-01T00:00:00.000Z',
    episodeOpenedAt: '2026-01-01T00:00:00.000Z',
    levelRaisedAt: {},
    followUps: [],
    alertCount: 0,
    firingAlertCount: 0,
    reopenCount: 0,
    createdBy: 'otto',
    changedAt,
    updatedAt: changedAt,
  },
});

const alert = (fingerprint: string, startsAt: string, endsAt: string): HealthStreamItem => ({
  kind: 'alert',
  key: `alert/${fingerprint}`,
  at: startsAt,
  changedAt: startsAt,
  alert: {
    team: 'ops',
    fingerprint,
    labels: { alertname: 'DiskFull' },
    annotations: { summary: 'disk 95%' },
    startsAt,
    endsAt,
    updatedAt: startsAt,
    generatorURL: '',
    source: 'generic',
    state: 'firing',
    entities: { node: 'w-1' },
    seq: 1,
  },
});

const T = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

describe('applyStreamPage', () => {
  it('keeps one item per key, in its newest state, newest first', () => {
    let held = applyStreamPage(new Map(), {
      items: [exception('a', 'open', T(1)), alert('f', T(2), T(50))],
      now: T(3),
    });
    // The poll brings the exception again, acknowledged, and a new one; the alert again, unchanged.
    held = applyStreamPage(held, {
      items: [exception('a', 'acknowledged', T(4)), exception('b', 'open', T(5)), alert('f', T(2), T(50))],
      now: T(5),
    });
    expect(orderedStream(held).map((item) => [item.key, streamRowText(item).state])).toEqual([
      ['exception/b', 'open'],
      ['exception/a', 'acknowledged'],
      ['alert/f', 'firing'],
    ]);
  });

  it('does not go back to an older copy of an item (an older page read after a poll)', () => {
    let held = applyStreamPage(new Map(), { items: [exception('a', 'acknowledged', T(4))], now: T(4) });
    held = applyStreamPage(held, { items: [exception('a', 'open', T(1))], now: T(5) });
    expect(streamRowText(held.get('exception/a')!).state).toBe('acknowledged');
  });

  it('shows an alert resolved once its end has passed by the answer’s clock', () => {
    const held = applyStreamPage(new Map(), { items: [alert('f', T(1), T(3))], now: T(4) });
    const item = held.get('alert/f')!;
    expect(streamRowText(item).state).toBe('resolved');
    expect(item.at).toBe(T(3));
  });

  it('keeps only the newest items', () => {
    const items = Array.from({ length: 5 }, (_, i) => exception(`e${i}`, 'open', T(i)));
    const held = applyStreamPage(new Map(), { items, now: T(9) }, 3);
    expect(orderedStream(held).map((item) => item.key)).toEqual([
      'exception/e4',
      'exception/e3',
      'exception/e2',
    ]);
  });
});

describe('the stream filter in the address', () => {
  it('reads the known values back and drops the rest', () => {
    const filter = streamFilterFromParams(
      new URLSearchParams(
        'kinds=alert,bogus,risk&severity=huge&level=P4,P9&entity=Node/w-1&cluster=%20&q=disk',
      ),
    );
    expect(filter).toEqual({ kinds: 'alert,risk', level: 'P4', entity: 'Node/w-1', q: 'disk' });
    expect(
      streamFilterFromParams(
        new URLSearchParams(
          Object.entries(streamFilterParams(filter)).filter(
            (entry): entry is [string, string] => entry[1] !== undefined,
          ),
        ),
      ),
    ).toEqual(filter);
  });
});
