import { describe, expect, it } from 'vitest';
import { readSse } from './read-sse.ts';
import type { SseEvent } from './sse-parser.ts';

function bodyOf(text: string, chunkBytes: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += chunkBytes) controller.enqueue(bytes.slice(i, i + chunkBytes));
      controller.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(body)) events.push(event);
  return events;
}

describe('readSse', () => {
  it('decodes a byte stream, including multi-byte characters split across chunks', async () => {
    const text = 'event: ADDED\nid: 1\ndata: {"displayName":"Zürich ✓"}\n\n';
    for (const size of [1, 2, 3, 7]) {
      expect(await collect(bodyOf(text, size)), `chunks of ${size} bytes`).toEqual([
        { event: 'ADDED', id: '1', data: '{"displayName":"Zürich ✓"}' },
      ]);
    }
  });

  it('ends with the stream, dropping an unterminated last message', async () => {
    expect(await collect(bodyOf('data: one\r\n\r\ndata: cut off', 4))).toEqual([
      { event: 'message', data: 'one' },
    ]);
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of readSse(body)) {
      expect(event.data).toBe('tick');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
