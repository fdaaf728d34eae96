import { ApiError } from './api-error';
import { authHeaders, readResponse } from './client';
import { SseParser } from './sse-parser';
import type { Resource } from './types';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly resourceVersion: string | undefined;
  readonly object: Resource | undefined;
}

export interface WatchHandlers {
  onEvent(event: WatchEvent): void;
  /** The stream is open (true) or was lost and is being retried (false). */
  onLive?(live: boolean): void;
  /** The server no longer has the version to resume from (410): the caller should list again. */
  onExpired?(): void;
}

const maxBackoffMs = 30_000;

/**
 * Follows a watch URL (`...?watch=true`) over fetch, resuming from the last seen `id` after a dropped
 * connection with exponential backoff. Returns a function that stops the watch.
 */
export function startWatch(
  buildUrl: (resourceVersion: string | undefined) => string,
  from: string | undefined,
  handlers: WatchHandlers,
): () => void {
  const controller = new AbortController();
  let resourceVersion = from;
  let failures = 0;

  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        await follow(
          buildUrl(resourceVersion),
          controller.signal,
          (event) => {
            failures = 0;
            if (event.resourceVersion) resourceVersion = event.resourceVersion;
            handlers.onEvent(event);
          },
          () => handlers.onLive?.(true),
        );
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 410) {
          handlers.onExpired?.();
          return;
        }
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return;
      }
      handlers.onLive?.(false);
      failures += 1;
      await delay(Math.min(maxBackoffMs, 500 * 2 ** failures), controller.signal);
    }
  };
  void run();
  return () => controller.abort();
}

async function follow(
  url: string,
  signal: AbortSignal,
  emit: (event: WatchEvent) => void,
  onOpen: () => void,
): Promise<void> {
  const response = await fetch(url, { headers: { Accept: 'text/event-stream', ...authHeaders() }, signal });
  if (!response.ok || !response.body) {
    await readResponse<unknown>(response, true);
    return;
  }
  onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const message of parser.push(value)) {
      const event = toWatchEvent(message.event, message.data, message.id);
      if (event.type === 'ERROR') throw toError(event, message.data);
      emit(event);
    }
  }
}

function toWatchEvent(type: string, data: string, id: string | undefined): WatchEvent {
  let object: Resource | undefined;
  try {
    object = data ? (JSON.parse(data) as Resource) : undefined;
  } catch {
    object = undefined;
  }
  const known: WatchEventType[] = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'];
  const eventType = known.find((name) => name === type) ?? 'ERROR';
  return { type: eventType, resourceVersion: id ?? object?.metadata?.resourceVersion, object };
}

function toError(event: WatchEvent, data: string): ApiError {
  const body: unknown = event.object;
  const status = data.includes('GANTRY_E_EXPIRED') ? 410 : 500;
  return ApiError.fromBody(status, body, data);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
