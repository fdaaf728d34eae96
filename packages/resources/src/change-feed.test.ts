import type { ResourceRepository, StoredChange } from '@gantry/store';
import { describe, expect, it } from 'vitest';
import { ChangeFeed } from './change-feed.ts';

function change(resourceVersion: number): StoredChange {
  const name = `t-${resourceVersion}`;
  return {
    resourceVersion,
    type: 'ADDED',
    kind: 'Team',
    team: '',
    name,
    object: {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: {
        name,
        uid: `uid-${resourceVersion}`,
        resourceVersion: String(resourceVersion),
        generation: 1,
        creationTimestamp: '2026-12-03T00:00:00.000Z',
        updatedTimestamp: '2026-12-03T00:00:00.000Z',
      },
      spec: {},
    },
  };
}

/** A change table in memory that counts its reads; `hold` keeps the next read from answering. */
function table(rows: StoredChange[]) {
  const state = { reads: 0, hold: undefined as Promise<void> | undefined };
  const repository = {
    currentResourceVersion: () => Promise.resolve(rows.at(-1)?.resourceVersion ?? 0),
    async changesSince(after: number, options: { limit: number }) {
      state.reads++;
      if (state.hold) await state.hold;
      return rows.filter((row) => row.resourceVersion > after).slice(0, options.limit);
    },
  } as unknown as ResourceRepository;
  return { repository, state };
}

/** A started feed over a table holding version 1, and the versions its listener has seen. */
async function started() {
  const rows = [change(1)];
  const { repository, state } = table(rows);
  const feed = new ChangeFeed(repository, { pollIntervalMs: 60_000, batchSize: 100, onError: () => {} });
  await feed.start();
  const seen: number[] = [];
  feed.subscribe((c) => seen.push(c.resourceVersion));
  return { rows, state, feed, seen };
}

describe('ChangeFeed', () => {
  it("delivers this process's next write at once, without reading it back", async () => {
    const { rows, state, feed, seen } = await started();
    for (const version of [2, 3, 4]) {
      rows.push(change(version));
      feed.written(change(version));
    }
    expect(seen).toEqual([2, 3, 4]);
    expect(state.reads).toBe(0);
    expect(feed.lastSeen).toBe(4);
    await feed.stop();
  });

  it('reads when a write leaves a gap (another writer), and delivers every version once, in order', async () => {
    const { rows, state, feed, seen } = await started();
    rows.push(change(2), change(3)); // 2 by another server, not read yet
    feed.written(change(3));
    await feed.sync();
    expect(seen).toEqual([2, 3]);
    expect(state.reads).toBeGreaterThan(0);
    await feed.stop();
  });

  it('leaves a write to the read under way instead of delivering it twice', async () => {
    const { rows, state, feed, seen } = await started();
    let release!: () => void;
    state.hold = new Promise((resolve) => (release = resolve));
    feed.poke();
    rows.push(change(2));
    feed.written(change(2)); // the read in flight will find it
    expect(seen).toEqual([]);
    state.hold = undefined;
    release();
    await feed.sync();
    expect(seen).toEqual([2]);
    await feed.stop();
  });
});
