import type { HttpResponse } from './transport.ts';
import { ErrorCodes } from '@gantry/model/errors';
import { ApiError, readApiError } from './api-error.ts';
import { isRecord, parseJsonOrUndefined } from './json.ts';
import { readSse } from './read-sse.ts';
import type { SseEvent } from './sse-parser.ts';
import type { Resource } from './resource.ts';

/** The `event:` of a watch message (docs/reference/api.md, "Declarative resources"). */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * One watch message, parsed. `resourceVersion` is where to resume from after it. A `BOOKMARK` carries
 * no object, only the version the stream has caught up to; an `ERROR` ends the stream.
 */
export type WatchEvent =
  | {
      readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
      readonly resourceVersion: string | undefined;
      readonly object: Resource;
    }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string | undefined }
  | { readonly type: 'ERROR'; readonly error: ApiError };

/**
 * An ERROR message has no HTTP status of its own; these codes get the status the same failure has as an
 * answer, so that callers test one thing (410: list again, then watch from the list's version).
 */
const statusOfCode: Readonly<Record<string, number>> = {
  [ErrorCodes.expired]: 410,
  [ErrorCodes.unauthenticated]: 401,
  [ErrorCodes.forbidden]: 403,
};

/**
 * Parses one SSE message of a watch stream; `undefined` for a message that is not a watch event (an
 * event type this client does not know yet). Data that is not the promised JSON is a server bug: it
 * throws.
 */
export function toWatchEvent(message: SseEvent): WatchEvent | undefined {
  const data = parseJsonOrUndefined(message.data);
  switch (message.event) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED': {
      if (!isRecord(data) || !isRecord(data['metadata'])) {
        throw new Error(`malformed ${message.event} watch event: ${message.data.slice(0, 200)}`);
      }
      const object = data as Resource;
      return { type: message.event, resourceVersion: message.id ?? object.metadata.resourceVersion, object };
    }
    case 'BOOKMARK': {
      const metadata = isRecord(data) && isRecord(data['metadata']) ? data['metadata'] : {};
      const version =
        typeof metadata['resourceVersion'] === 'string' ? metadata['resourceVersion'] : undefined;
      return { type: 'BOOKMARK', resourceVersion: message.id ?? version };
    }
    case 'ERROR': {
      const code = isRecord(data) && typeof data['code'] === 'string' ? data['code'] : '';
      return { type: 'ERROR', error: ApiError.fromBody(statusOfCode[code] ?? 500, data, message.data) };
    }
    default:
      return undefined;
  }
}

/**
 * Reads the answer to a watch request (`...?watch=true`, `Accept: text/event-stream`) as watch events,
 * until the server closes the stream or the request's signal aborts. A non-2xx answer throws its ApiError.
 */
export async function* watchEvents(response: HttpResponse): AsyncGenerator<WatchEvent> {
  if (!response.ok) throw await readApiError(response);
  if (response.body === null) return;
  for await (const message of readSse(response.body)) {
    const event = toWatchEvent(message);
    if (event !== undefined) yield event;
  }
}
