import { describe, expect, it } from 'vitest';
import { readSse, SseParser, type SseEvent } from './sse.ts';

const stream =
  ': connected\n\n' +
  'event: ADDED\nid: 5\ndata: {"metadata":{"name":"a"}}\n\n' +
  'event: MODIFIED\r\nid: 6\r\ndata: {"metadata":\r\ndata: {"name":"b"}}\r\n\r\n' +
  'event: BOOKMARK\rid: 7\rdata:{}\r\r' +
  'id: 8\n\n' + // no data: not dispatched, but moves the last event id
  'data: plain\n\n';

const expected: SseEvent[] = [
  { event: 'ADDED', id: '5', data: '{"metadata":{"name":"a"}}' },
  { event: 'MODIFIED', id: '6', data: '{"metadata":\n{"name":"b"}}' },
  { event: 'BOOKMARK', id: '7', data: '{}' },
  { event: 'message', id: '8', data: 'plain' },
];

describe('SseParser', () => {
  it('parses event, id and (multi-line) data fields with LF, CRLF and CR line ends', () => {
    const parser = new SseParser();
    expect(parser.feed(stream)).toEqual(expected);
  });

  it('gives the same events however the stream is split into chunks', () => {
    for (let split = 1; split < stream.length; split++) {
      const parser = new SseParser();
      const events = [...parser.feed(stream.slice(0, split)), ...parser.feed(stream.slice(split))];
      expect(events, `split at ${split}`).toEqual(expected);
    }
    const parser = new SseParser();
    const oneByOne = [...stream].flatMap((ch) => parser.feed(ch));
    expect(oneByOne).toEqual(expected);
  });

  it('drops one leading space of a value only, and ignores unknown fields and retry', () => {
    const parser = new SseParser();
    expect(parser.feed('retry: 1000\nfoo: bar\nevent:DELETED\ndata:  two spaces\n\n')).toEqual([
      { event: 'DELETED', data: ' two spaces' },
    ]);
  });

  it('discards an unterminated message at end of stream', () => {
    const parser = new SseParser();
    expect(parser.feed('event: ADDED\ndata: {}\n')).toEqual([]);
    expect(parser.end()).toEqual([]);
  });
});

describe('readSse', () => {
  it('decodes a byte stream, including multi-byte characters split across chunks', async () => {
    const bytes = new TextEncoder().encode('event: ADDED\nid: 1\ndata: {"displayName":"Zürich ✓"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 3) controller.enqueue(bytes.slice(i, i + 3));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const event of readSse(body)) events.push(event);
    expect(events).toEqual([{ event: 'ADDED', id: '1', data: '{"displayName":"Zürich ✓"}' }]);
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
