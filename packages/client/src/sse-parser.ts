/** One Server-Sent Events message (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseEvent {
  /** `message` when the server sent no `event:` field. */
  event: string;
  /** The last event ID seen so far on the stream (the id to resume from), if any. */
  id?: string;
  data: string;
}

/**
 * Incremental SSE parser: feed it text as it arrives, in chunks split anywhere (even inside a line or
 * between `\r` and `\n`), and it returns the messages completed so far. EventSource would do this for
 * a browser, but it cannot send an Authorization header, and Node has none.
 */
export class SseParser {
  #buffer = '';
  #eventType = '';
  #data: string[] = [];
  #hasData = false;
  #lastEventId: string | undefined;
  #pendingCarriageReturn = false;

  feed(chunk: string): SseEvent[] {
    let text = chunk;
    // A CRLF split across chunks: the CR already ended the line, so drop the LF.
    if (this.#pendingCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    if (text !== '') this.#pendingCarriageReturn = false;
    this.#buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const ch = this.#buffer[i];
      if (ch !== '\n' && ch !== '\r') continue;
      const line = this.#buffer.slice(start, i);
      if (ch === '\r') {
        if (i + 1 < this.#buffer.length) {
          if (this.#buffer[i + 1] === '\n') i++;
        } else {
          this.#pendingCarriageReturn = true;
        }
      }
      start = i + 1;
      const event = this.#line(line);
      if (event) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** At end of stream an unterminated message is discarded, as the spec requires. */
  end(): SseEvent[] {
    this.#buffer = '';
    this.#pendingCarriageReturn = false;
    this.#reset();
    return [];
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#eventType = value;
        break;
      case 'data':
        this.#data.push(value);
        this.#hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      default: // `retry` and unknown fields: reconnecting is the caller's business
        break;
    }
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    if (!this.#hasData) {
      this.#reset();
      return undefined;
    }
    const event: SseEvent = {
      event: this.#eventType === '' ? 'message' : this.#eventType,
      data: this.#data.join('\n'),
    };
    if (this.#lastEventId !== undefined) event.id = this.#lastEventId;
    this.#reset();
    return event;
  }

  #reset(): void {
    this.#eventType = '';
    this.#data = [];
    this.#hasData = false;
  }
}
