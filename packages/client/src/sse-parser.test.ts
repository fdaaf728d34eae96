import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse-parser.ts';

const stream =
  ': connected\n\n' +
  'event: ADDED\nid: 5\ndata: {"metadata":{"name":"a"}}\n\n' +
  ': heartbeat\n' + // a comment inside a message does not end it
  'event: MODIFIED\r\nid: 6\r\ndata: {"metadata":\r\n: keep-alive\r\ndata: {"name":"b"}}\r\n\r\n' +
  'event: BOOKMARK\rid: 7\rdata:{}\r\r' +
  'id: 8\n\n' + // no data: not dispatched, but moves the last event id
  'data: plain\n\n' +
  'data\ndata\n\n'; // a field without a colon has an empty value

const expected: SseEvent[] = [
  { event: 'ADDED', id: '5', data: '{"metadata":{"name":"a"}}' },
  { event: 'MODIFIED', id: '6', data: '{"metadata":\n{"name":"b"}}' },
  { event: 'BOOKMARK', id: '7', data: '{}' },
  { event: 'message', id: '8', data: 'plain' },
  { event: 'message', id: '8', data: '\n' },
];

describe('SseParser', () => {
  it('parses event, id and multi-line data with LF, CRLF and CR line ends, skipping comments', () => {
    expect(new SseParser().feed(stream)).toEqual(expected);
  });

  it('gives the same events wherever the stream is split in two', () => {
    for (let split = 0; split <= stream.length; split++) {
      const parser = new SseParser();
      const events = [...parser.feed(stream.slice(0, split)), ...parser.feed(stream.slice(split))];
      expect(events, `split at ${split}`).toEqual(expected);
    }
  });

  it('gives the same events fed one character at a time, with empty chunks between', () => {
    const parser = new SseParser();
    expect([...stream].flatMap((ch) => [...parser.feed(ch), ...parser.feed('')])).toEqual(expected);
  });

  it('gives the same events wherever the stream is split in three', () => {
    for (let first = 1; first < stream.length; first += 3) {
      for (let second = first; second < stream.length; second += 5) {
        const parser = new SseParser();
        const events = [first, second, stream.length].flatMap((end, i, ends) =>
          parser.feed(stream.slice(i === 0 ? 0 : ends[i - 1], end)),
        );
        expect(events, `split at ${first} and ${second}`).toEqual(expected);
      }
    }
  });

  it('does not take the LF of a CRLF split across chunks for a second line end', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a\r')).toEqual([]);
    expect(parser.feed('\n')).toEqual([]); // the CR ended the line; this LF is its other half
    expect(parser.feed('\r\n')).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('sends nothing for comments and heartbeats alone', () => {
    expect(new SseParser().feed(': ping\n\n:\n\n: ping\r\n\r\n')).toEqual([]);
  });

  it('drops one leading space of a value only, and ignores unknown fields and retry', () => {
    expect(new SseParser().feed('retry: 1000\nfoo: bar\nevent:DELETED\ndata:  two spaces\n\n')).toEqual([
      { event: 'DELETED', data: ' two spaces' },
    ]);
  });

  it('keeps the last event id for later messages, and ignores an id containing NUL', () => {
    expect(new SseParser().feed('id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\nid\ndata: d\n\n')).toEqual([
      { event: 'message', id: '1', data: 'a' },
      { event: 'message', id: '1', data: 'b' },
      { event: 'message', id: '1', data: 'c' },
      { event: 'message', id: '', data: 'd' },
    ]);
  });

  it('resets the event type after each message', () => {
    expect(new SseParser().feed('event: ADDED\ndata: 1\n\ndata: 2\n\n')).toEqual([
      { event: 'ADDED', data: '1' },
      { event: 'message', data: '2' },
    ]);
  });

  it('discards an unterminated message at end of stream', () => {
    const parser = new SseParser();
    expect(parser.feed('event: ADDED\ndata: {}\n')).toEqual([]);
    expect(parser.end()).toEqual([]);
    expect(parser.feed('data: next\n\n')).toEqual([{ event: 'message', data: 'next' }]);
  });
});
