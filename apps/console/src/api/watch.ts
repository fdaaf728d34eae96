import { ApiError, type WatchEvent } from '@gantry/client';
import { api } from './client';

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
            if (event.type !== 'ERROR' && event.resourceVersion) resourceVersion = event.resourceVersion;
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
  for await (const event of api.watch(url, { signal, onOpen })) {
    if (event.type === 'ERROR') throw event.error;
    emit(event);
  }
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
