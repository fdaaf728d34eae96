import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.ts';
import { toWatchEvent, watchEvents, type WatchEvent } from './watch.ts';

const sse = (text: string, status = 200): Response =>
  new Response(text, { status, headers: { 'content-type': 'text/event-stream' } });

async function collect(response: Response): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  for await (const event of watchEvents(response)) events.push(event);
  return events;
}

describe('watchEvents', () => {
  it('parses objects, bookmarks and errors, resuming from each message id', async () => {
    const object = {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: 'a', resourceVersion: '10' },
    };
    const events = await collect(
      sse(
        `event: ADDED\nid: 10\ndata: ${JSON.stringify(object)}\n\n` +
          'event: BOOKMARK\nid: 11\ndata: {"kind":"Team","metadata":{"resourceVersion":"11"}}\n\n' +
          'event: SOMETHING_NEW\ndata: {}\n\n' +
          'event: ERROR\ndata: {"code":"GANTRY_E_EXPIRED","message":"too old","details":[]}\n\n',
      ),
    );
    expect(events.slice(0, 2)).toEqual([
      { type: 'ADDED', resourceVersion: '10', object },
      { type: 'BOOKMARK', resourceVersion: '11' },
    ]);
    const last = events[2];
    expect(events).toHaveLength(3);
    expect(last?.type === 'ERROR' && last.error).toMatchObject({
      status: 410,
      code: 'GANTRY_E_EXPIRED',
      message: 'too old',
    });
  });

  it('throws the ApiError of an error answer', async () => {
    const answer = new Response(JSON.stringify({ code: 'GANTRY_E_FORBIDDEN', message: 'no', details: [] }), {
      status: 403,
    });
    const error = await collect(answer).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: 'GANTRY_E_FORBIDDEN' });
  });
});

describe('toWatchEvent', () => {
  it("takes the object's resourceVersion when the message has no id", () => {
    expect(
      toWatchEvent({ event: 'DELETED', data: '{"metadata":{"name":"a","resourceVersion":"4"}}' }),
    ).toMatchObject({
      type: 'DELETED',
      resourceVersion: '4',
    });
  });

  it('keeps the text of an ERROR whose data is not JSON', () => {
    const event = toWatchEvent({ event: 'ERROR', data: 'boom' });
    expect(event?.type === 'ERROR' && event.error).toMatchObject({
      status: 500,
      code: 'HTTP_500',
      message: 'boom',
    });
  });

  it('throws on an object event whose data is not an object', () => {
    expect(() => toWatchEvent({ event: 'ADDED', data: '[1' })).toThrow(/malformed ADDED watch event/);
  });
});
