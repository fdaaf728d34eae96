import { apiRequest } from './client';
import type { EventList, EventSource, EventType } from '@gantry/client';

export interface EventFilter {
  readonly team?: string | undefined;
  /** A cluster name; the server reads it only together with `team`. */
  readonly cluster?: string | undefined;
  readonly namespace?: string | undefined;
  /** The regarded object's kind and name (`Pod`, `Application`, `ComponentDefinition`...). */
  readonly kind?: string | undefined;
  readonly name?: string | undefined;
  readonly type?: EventType | undefined;
  readonly reason?: string | undefined;
  /** `gantry` (Gantry's own events) or `kubernetes` (the clusters'). */
  readonly source?: EventSource | undefined;
}

/** Event records of both sources, newest first: `GET /api/events`. */
export function listEvents(
  filter: EventFilter,
  page: { limit: number; continueToken?: string | undefined; signal?: AbortSignal },
): Promise<EventList> {
  return apiRequest<EventList>('/api/events', {
    query: { ...filter, limit: page.limit, continue: page.continueToken },
    signal: page.signal,
  });
}
