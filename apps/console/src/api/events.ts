import { apiRequest } from './client';
import type { EventRecord, InventoryPage } from '@gantry/client';

export interface EventFilter {
  readonly team?: string | undefined;
  /** A cluster name; the server reads it only together with `team`. */
  readonly cluster?: string | undefined;
  readonly namespace?: string | undefined;
  /** The involved object's kind and name. */
  readonly kind?: string | undefined;
  readonly name?: string | undefined;
  /** `Normal` or `Warning`. */
  readonly type?: string | undefined;
}

/** Event records, newest first: `GET /api/events`. */
export function listEvents(
  filter: EventFilter,
  page: { limit: number; continueToken?: string | undefined; signal?: AbortSignal },
): Promise<InventoryPage<EventRecord>> {
  return apiRequest<InventoryPage<EventRecord>>('/api/events', {
    query: { ...filter, limit: page.limit, continue: page.continueToken },
    signal: page.signal,
  });
}
