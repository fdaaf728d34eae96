/**
 * The request side of the fleet endpoints as the CLI uses them (docs/reference/api.md, "Fleet"). The wire
 * shapes are the model's, through @gantry/client; the CLI pages by itself, so it leaves out `limit` and
 * `continue`.
 */
import type { DrainRequest as WireDrainRequest, InventoryQuery as WireInventoryQuery } from '@gantry/client';

import type { EventQuery } from '@gantry/client';

export { INVENTORY_VIEWS, type InventoryView, type NodeSchedulability } from '@gantry/client';

/** `GET /api/inventory/{view}` query parameters; `cluster` needs `team`. */
export type InventoryQuery = Omit<WireInventoryQuery, 'limit' | 'continue'>;

/** `GET /api/events` filters (the model's EventQuery without paging); `cluster` needs `team`. */
export type EventFilter = Omit<EventQuery, 'limit' | 'continue'>;

export type NodeOperation = 'cordon' | 'uncordon' | 'drain';

/** The body of `drain`: what is left out takes the server's default. */
export type DrainRequest = Partial<WireDrainRequest>;
