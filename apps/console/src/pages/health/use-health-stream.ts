import { useCallback, useEffect, useRef, useState } from 'react';
import type { HealthStreamItem } from '@gantry/client';
import { readHealthStream, type HealthStreamFilter } from '../../api/health';
import { applyStreamPage, orderedStream } from '../../lib/health-stream';

/** How often the stream asks what changed. */
const POLL_MS = 2_500;
/** Most calls one poll makes while the server says there is more (a storm); the next poll goes on. */
const MAX_FOLLOW = 10;

export interface HealthStreamView {
  items: HealthStreamItem[];
  loading: boolean;
  error: unknown;
  /** The server's clock at the last answer. */
  updatedAt: string | undefined;
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder: () => void;
}

type ShownView = Omit<HealthStreamView, 'loadOlder' | 'loadingOlder'> & { key: string };

function empty(key: string): ShownView {
  return { key, items: [], loading: true, error: undefined, updatedAt: undefined, hasOlder: false };
}

/**
 * A team's health stream, live (ADR 0027): the newest items first, then every 2.5 s what changed since the
 * last answer's cursor, merged by key (an item changed comes back in its new state, in its place). A new
 * team or filter starts over. A failed poll keeps what is shown and tries again at the next one.
 */
export function useHealthStream(team: string, filter: HealthStreamFilter): HealthStreamView {
  const filterKey = JSON.stringify(filter);
  /** What is shown is for this team and filter; a view held for another is never shown. */
  const viewKey = `${team}\n${filterKey}`;
  const held = useRef(new Map<string, HealthStreamItem>());
  const older = useRef<string | undefined>(undefined);
  const [view, setView] = useState<ShownView>(empty(viewKey));
  const [loadingOlder, setLoadingOlder] = useState(false);

  const publish = useCallback((key: string, error: unknown, updatedAt: string | undefined) => {
    setView((current) => ({
      key,
      items: orderedStream(held.current),
      loading: false,
      error,
      updatedAt: updatedAt ?? (current.key === key ? current.updatedAt : undefined),
      hasOlder: older.current !== undefined,
    }));
  }, []);

  useEffect(() => {
    const current = JSON.parse(filterKey) as HealthStreamFilter;
    const key = `${team}\n${filterKey}`;
    held.current = new Map();
    older.current = undefined;
    const controller = new AbortController();
    const signal = controller.signal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cursor: string | undefined;
    const tick = async () => {
      try {
        let now: string | undefined;
        if (cursor === undefined) {
          const page = await readHealthStream(team, current, { signal });
          held.current = applyStreamPage(held.current, page);
          cursor = page.cursor;
          older.current = page.continue;
          now = page.now;
        } else {
          for (let call = 0; call < MAX_FOLLOW; call += 1) {
            const page = await readHealthStream(team, current, { since: cursor, signal });
            held.current = applyStreamPage(held.current, page);
            cursor = page.cursor;
            now = page.now;
            if (!page.more) break;
          }
        }
        if (!signal.aborted) publish(key, undefined, now);
      } catch (error) {
        if (signal.aborted) return;
        publish(key, error, undefined);
      }
      if (!signal.aborted) timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [team, filterKey, publish]);

  const loadOlder = useCallback(() => {
    const token = older.current;
    if (token === undefined) return;
    const key = `${team}\n${filterKey}`;
    const stillShown = () => older.current === token;
    setLoadingOlder(true);
    readHealthStream(team, JSON.parse(filterKey) as HealthStreamFilter, { continueToken: token })
      .then((page) => {
        // The team or filter changed meanwhile (the stream started over): this page is not theirs.
        if (!stillShown()) return;
        held.current = applyStreamPage(held.current, page, held.current.size + page.items.length);
        older.current = page.continue;
        publish(key, undefined, undefined);
      })
      .catch((error: unknown) => {
        if (stillShown()) publish(key, error, undefined);
      })
      .finally(() => setLoadingOlder(false));
  }, [team, filterKey, publish]);

  const shown = view.key === viewKey ? view : empty(viewKey);
  return {
    items: shown.items,
    loading: shown.loading,
    error: shown.error,
    updatedAt: shown.updatedAt,
    hasOlder: shown.hasOlder,
    loadingOlder,
    loadOlder,
  };
}
