import { readSse, type SseEvent } from '@gantry/client';

/** An SSE message with its `data` parsed as JSON, as watch streams send it; for watch tests. */
export interface JsonSseEvent extends Omit<SseEvent, 'data'> {
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface SseStream {
  status: number;
  /** Waits until `predicate` holds for the events seen so far (deadline `timeoutMs`). */
  waitFor(predicate: (events: JsonSseEvent[]) => boolean, timeoutMs?: number): Promise<JsonSseEvent[]>;
  events: JsonSseEvent[];
  close(): void;
}

/** Opens a watch (or any SSE) URL and collects its events as they arrive, until `close()`. */
export async function openSse(url: string, token: string): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const events: JsonSseEvent[] = [];
  const waiters = new Set<() => void>();
  if (response.ok && response.body) {
    const body = response.body;
    void (async () => {
      try {
        for await (const event of readSse(body)) {
          events.push({ ...event, data: JSON.parse(event.data) });
          for (const wake of waiters) wake();
        }
      } catch {
        // aborted
      }
    })();
  }
  return {
    status: response.status,
    events,
    close: () => controller.abort(),
    waitFor: (predicate, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(events)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(events);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out waiting for SSE events; got ${JSON.stringify(events.map((e) => [e.event, e.data?.metadata?.name]))}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
