import { SseParser, type SseEvent } from './sse-parser.ts';

/**
 * Reads an SSE body (a fetch Response's `body`) as its messages, as they arrive. Stopping early (`break`,
 * `return`, a throw in the loop) cancels the body, which closes the HTTP connection.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
    yield* parser.feed(decoder.decode());
    yield* parser.end();
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
