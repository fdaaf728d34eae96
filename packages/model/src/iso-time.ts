/**
 * `Date.parse` of stored ISO times, remembered: the alert pipeline reads the same few times over and over
 * (every alert of a commit has its updatedAt, a batch's alerts one endsAt, a resend its first startsAt),
 * and a parse costs more than a lookup. Emptied at its bound, so a stream of new times costs what it did.
 */
const BOUND = 4_096;
const known = new Map<string, number>();

/**
 * The last time one field read and its milliseconds, compared before the map: a run of alerts nearly
 * always shares its endsAt, its updatedAt, often its startsAt. One per field that a loop reads (`isoLast`).
 */
export interface IsoLast {
  text: string;
  ms: number;
}

export function isoLast(): IsoLast {
  return { text: '', ms: Number.NaN };
}

const shared = isoLast();

/** Milliseconds of an ISO time (NaN when it is none, as `Date.parse`); `last` is the field's own memo. */
export function isoMs(text: string, last: IsoLast = shared): number {
  if (text === last.text) return last.ms;
  let ms = known.get(text);
  if (ms === undefined) {
    ms = Date.parse(text);
    if (known.size >= BOUND) known.clear();
    known.set(text, ms);
  }
  last.text = text;
  last.ms = ms;
  return ms;
}
