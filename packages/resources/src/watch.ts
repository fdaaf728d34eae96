import {
  ExpiredError,
  matchesSelector,
  type LabelSelector,
  type Resource,
  type WatchEventType,
} from '@gantry/model';
import type { ResourceRepository, StoredChange } from '@gantry/store';
import type { ChangeFeed } from './change-feed.ts';

export interface WatchFilter {
  kind: string;
  /** Only these teams; undefined means every team. */
  teams?: readonly string[];
  selector: LabelSelector;
}

export interface WatchSink {
  event(type: WatchEventType, object: Resource, resourceVersion: number): void;
  /** Replay is done; from here on events are live. */
  caughtUp(resourceVersion: number): void;
}

function matches(filter: WatchFilter, change: Pick<StoredChange, 'kind' | 'team' | 'object'>): boolean {
  return (
    change.kind === filter.kind &&
    (filter.teams === undefined ||
      filter.teams.includes(change.team) ||
      (change.kind === 'Team' && filter.teams.includes(change.object.metadata.name))) &&
    matchesSelector(filter.selector, change.object.metadata.labels)
  );
}

/**
 * Starts a watch: replays what happened after `fromVersion` (or, without one, the current objects as
 * ADDED), then streams live changes. Live changes are buffered while the replay runs, so none is lost
 * or delivered twice. Returns the function that ends the watch.
 */
export async function startWatch(
  repository: ResourceRepository,
  feed: ChangeFeed,
  filter: WatchFilter,
  fromVersion: number | undefined,
  sink: WatchSink,
): Promise<() => void> {
  const buffered: StoredChange[] = [];
  let replaying = true;
  let delivered = fromVersion ?? 0;
  const deliver = (change: StoredChange) => {
    if (change.resourceVersion <= delivered) return;
    delivered = change.resourceVersion;
    if (matches(filter, change)) sink.event(change.type, change.object, change.resourceVersion);
  };
  const unsubscribe = feed.subscribe((change) => (replaying ? buffered.push(change) : deliver(change)));
  try {
    if (fromVersion === undefined) {
      const initial = await listAll(repository, filter);
      delivered = initial.resourceVersion;
      for (const object of initial.items)
        sink.event('ADDED', object, Number(object.metadata.resourceVersion));
    } else {
      const oldest = await repository.oldestResumableVersion();
      if (fromVersion < oldest) {
        throw new ExpiredError(
          `resourceVersion ${fromVersion} is too old to resume from (the oldest kept is ${oldest}); list again and watch from the list's resourceVersion`,
        );
      }
    }
    // Replay from the table up to what the feed has delivered; the buffer covers everything after.
    for (;;) {
      const changes = await repository.changesSince(delivered, { kind: filter.kind, limit: 1000 });
      for (const change of changes) deliver(change);
      if (changes.length < 1000) break;
    }
    replaying = false;
    for (const change of buffered.splice(0)) deliver(change);
    sink.caughtUp(Math.max(delivered, feed.lastSeen));
    return unsubscribe;
  } catch (error) {
    unsubscribe();
    throw error;
  }
}

async function listAll(
  repository: ResourceRepository,
  filter: WatchFilter,
): Promise<{ items: Resource[]; resourceVersion: number }> {
  const items: Resource[] = [];
  let after: { team: string; name: string } | undefined;
  let resourceVersion = 0;
  for (;;) {
    const page = await repository.list({
      kind: filter.kind,
      ...(filter.teams && filter.kind !== 'Team' ? { teams: filter.teams } : {}),
      selector: filter.selector,
      limit: 1000,
      ...(after ? { after } : {}),
    });
    if (resourceVersion === 0) resourceVersion = page.resourceVersion;
    for (const item of page.items) {
      const object = JSON.parse(item.json) as Resource;
      if (matches(filter, { kind: filter.kind, team: item.team, object })) items.push(object);
    }
    if (!page.next) return { items, resourceVersion };
    after = page.next;
  }
}
