/**
 * `Date.parse` of stored ISO times, remembered: the alert pipeline reads the same few times over and over
 * (every alert of a commit has its updatedAt, a batch's alerts one endsAt, a resend its first startsAt),
 * and a parse costs more than a lookup. Emptied at its bound, so a stream of new times costs what it did.
 */
const BOUND = 4_096;
const known = new Map<string, number>();
/** The last time read, compared before the map: a run of alerts shares one (their endsAt, updatedAt). */
let lastText = '';
let lastMs = Number.NaN;

/** Milliseconds of an ISO time (NaN when it is none, as `Date.parse`). */
export function isoMs(text: string): number {
  if (text === lastText) return lastMs;
  let ms = known.get(text);
  if (ms === undefined) {
    ms = Date.parse(text);
    if (known.size >= BOUND) known.clear();
    known.set(text, ms);
  }
  lastText = text;
  lastMs = ms;
  return ms;
}
