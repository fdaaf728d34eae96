import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@gantry/alerts';
import { Store } from '@gantry/store';
import { inventoryTopology } from './topology-source.ts';

const T0 = Date.parse('2026-12-03T06:00:00Z');

describe('inventory topology', () => {
  let store: Store;
  let clock: ManualClock;

  const node = (cluster: string, name: string, rack: string) => ({
    op: 'upsert' as const,
    item: {
      cluster,
      kind: 'Node',
      namespace: '',
      name,
      uid: `uid-${cluster}-${name}`,
      data: { labels: { 'topology.gantry.dev/rack': rack } },
    },
  });

  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
    clock = new ManualClock(T0);
  });
  afterEach(async () => {
    await store.close();
  });

  // The fleet inventory names a team's cluster `team/name` while an alert names it by its `cluster` label
  // alone: looking the alert's name up as it stands found no node, so no rack and no zone either.
  it("reads a node's labels from its team's cluster, not another team's cluster of the same name", async () => {
    await store.inventory.apply(
      [node('ops/east', 'n1', 'r1'), node('dev/east', 'n1', 'r9')],
      new Date(T0).toISOString(),
    );
    const topology = inventoryTopology(store.inventory, clock);
    expect(await topology.nodeLabels('ops', 'east', 'n1')).toEqual({ 'topology.gantry.dev/rack': 'r1' });
    expect(await topology.nodeLabels('dev', 'east', 'n1')).toEqual({ 'topology.gantry.dev/rack': 'r9' });
    expect(await topology.nodeLabels('qa', 'east', 'n1')).toBeUndefined();
  });

  it('keeps a cluster’s nodes for the TTL, then reads them again', async () => {
    await store.inventory.apply([node('ops/east', 'n1', 'r1')], new Date(T0).toISOString());
    const topology = inventoryTopology(store.inventory, clock, 60_000);
    expect(await topology.nodeLabels('ops', 'east', 'n1')).toEqual({ 'topology.gantry.dev/rack': 'r1' });
    await store.inventory.apply([node('ops/east', 'n1', 'r2')], new Date(T0).toISOString());
    expect(await topology.nodeLabels('ops', 'east', 'n1')).toEqual({ 'topology.gantry.dev/rack': 'r1' });
    await clock.advanceTo(T0 + 60_001);
    expect(await topology.nodeLabels('ops', 'east', 'n1')).toEqual({ 'topology.gantry.dev/rack': 'r2' });
  });
});
