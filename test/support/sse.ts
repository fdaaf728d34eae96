/** Reads a Server-Sent Events stream into events as they arrive; for watch tests. */
export interface SseEvent {
  event: string;
  id?: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface SseStream {
  status: number;
  /** Waits until `predicate` holds for the events seen so far (deadline `timeoutMs`). */
  waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  events: SseEvent[];
  close(): void;
}

export async function openSse(url: string, token: string): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  if (response.ok && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event: SseEvent = { event: 'message', data: undefined };
            for (const line of block.split('\n')) {
              const [field, ...rest] = line.split(': ');
              const text = rest.join(': ');
              if (field === 'event') event.event = text;
              else if (field === 'id') event.id = text;
              else if (field === 'data') event.data = JSON.parse(text);
            }
            events.push(event);
            for (const wake of waiters) wake();
          }
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
          reject(new Error(`timed out waiting for SSE events; got ${JSON.stringify(events.map((e) => [e.event, e.data?.metadata?.name]))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
