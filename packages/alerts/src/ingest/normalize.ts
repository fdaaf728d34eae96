import type { AlertSource, ErrorDetail } from '@gantry/model';
import type { LabelSet } from '../matchers.ts';

/** What one alert of any inbound shape comes down to before it is checked and stored. */
export interface InboundAlert {
  labels: LabelSet;
  annotations?: LabelSet | undefined;
  startsAt?: string | undefined;
  endsAt?: string | undefined;
  generatorURL?: string | undefined;
}

/** Limits on one alert (docs/reference/alerts.md); past them the batch is refused. */
export const ALERT_LIMITS = {
  labels: 64,
  labelNameLength: 256,
  labelValueLength: 4096,
  /** Names and values of all labels together, in UTF-16 code units. */
  labelBytes: 16_384,
  /** Names and values of all annotations together. */
  annotationBytes: 65_536,
  generatorUrlLength: 4096,
  /** A startsAt up to this far ahead of the server's clock is clock skew and kept; further is moved to now. */
  futureSkewMs: 60_000,
} as const;

/** Prometheus' label names, plus `.`, `/` and `-` so Kubernetes-style names (`app.gantry.dev/name`) pass. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_./-]*$/;

/**
 * Memos of the ingest's hot path (ADR 0042: this runs for every alert of every post): label names that
 * passed, and the stored form of times. Each is emptied when it reaches its bound, so a flood of new names
 * or times costs what it did without them.
 */
const MEMO_BOUND = 10_000;
const goodNames = new Set<string>();
const isoTexts = new Map<string, string>();
let lastMs = Number.NaN;
let lastIso = '';

function goodName(name: string): boolean {
  if (goodNames.has(name)) return true;
  if (name.length > ALERT_LIMITS.labelNameLength || !LABEL_NAME.test(name)) return false;
  if (goodNames.size >= MEMO_BOUND) goodNames.clear();
  goodNames.add(name);
  return true;
}

/** `new Date(ms).toISOString()`, remembered for the last value (the endsAt of a batch's alerts). */
function isoOf(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/**
 * The last startsAt and the last endsAt read, each with its milliseconds and stored form (`iso`, '' until
 * asked): the alerts of a batch nearly always share them (Prometheus sends one endsAt per evaluation), and
 * a comparison costs less than the map or the parse.
 */
interface LastTime {
  text: string;
  ms: number;
  iso: string;
}
const lastStarts: LastTime = { text: '', ms: 0, iso: '' };
const lastEnds: LastTime = { text: '', ms: 0, iso: '' };

/** The stored form of a time given as `text` (read as `ms`), remembered by text (resends repeat it). */
function isoOfText(text: string, ms: number, last: LastTime): string {
  if (text === last.text && last.iso !== '') return last.iso;
  let iso = isoTexts.get(text);
  if (iso === undefined) {
    iso = new Date(ms).toISOString();
    if (isoTexts.size >= MEMO_BOUND) isoTexts.clear();
    isoTexts.set(text, iso);
  }
  if (text === last.text) last.iso = iso;
  return iso;
}

export type RejectReason =
  | 'malformed'
  | 'no_labels'
  | 'missing_alertname'
  | 'bad_label_name'
  | 'too_large'
  | 'bad_time'
  | 'ends_before_starts'
  | 'unknown_team'
  | 'no_team'
  | 'forbidden';

export type NormalizeReason = 'starts_missing' | 'ends_missing' | 'starts_in_future';

export interface Normalized {
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export type NormalizeOutcome =
  | { ok: true; alert: Normalized; normalized: NormalizeReason[] }
  | { ok: false; reason: RejectReason; detail: ErrorDetail };

function size(set: LabelSet): number {
  let total = 0;
  for (const name in set) total += name.length + set[name]!.length;
  return total;
}

function refuse(path: string, reason: RejectReason, where: string, message: string): NormalizeOutcome {
  return { ok: false, reason, detail: { path: `${path}${where}`, message } };
}

function time(text: string | undefined, last: LastTime): number | undefined | 'invalid' {
  if (text === undefined || text === '') return undefined;
  if (text === last.text) return last.ms;
  if (text.startsWith('0001-01-01')) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return 'invalid';
  last.text = text;
  last.ms = ms;
  last.iso = '';
  return ms;
}

/**
 * Checks one alert and fills its times as Alertmanager does: no startsAt is now (or endsAt when that is
 * earlier), no endsAt is now + resolve timeout. A startsAt more than a minute ahead is moved to now;
 * an endsAt before startsAt is refused. `path` prefixes the error's field path (`/3`).
 */
export function normalizeAlert(
  alert: InboundAlert,
  path: string,
  now: number,
  resolveTimeoutMs: number,
): NormalizeOutcome {
  // A label with an empty value is no label (Prometheus' rule); Alertmanager drops them before the fingerprint.
  // Empty values are dropped (as absent labels); a set without any is kept as it came (the body parser's
  // object: no copy of every alert's labels, and the dispatcher holds the object as the parser sized it).
  // One pass over the labels finds all that is checked below (ADR 0038: this runs for every alert).
  const given = alert.labels;
  let count = 0;
  let empty = false;
  let total = 0;
  let bad: { name: string; value: boolean } | undefined;
  for (const name in given) {
    const value = given[name];
    if (value === '') {
      empty = true;
      continue;
    }
    count++;
    if (bad !== undefined) continue;
    if (!goodName(name)) bad = { name, value: false };
    else if (typeof value !== 'string' || value.length > ALERT_LIMITS.labelValueLength)
      bad = { name, value: true };
    else total += name.length + value.length;
  }
  let labels: Record<string, string> = given;
  if (empty) {
    labels = {};
    for (const name in given) if (given[name] !== '') labels[name] = given[name]!;
  }
  if (count === 0) return refuse(path, 'no_labels', '/labels', 'at least one label is required');
  if (!labels.alertname) return refuse(path, 'missing_alertname', '/labels/alertname', 'is required');
  if (count > ALERT_LIMITS.labels)
    return refuse(path, 'too_large', '/labels', `more than ${ALERT_LIMITS.labels} labels`);
  if (bad?.value === false)
    return refuse(path, 'bad_label_name', `/labels/${bad.name.slice(0, 64)}`, 'is not a valid label name');
  if (bad?.value === true)
    return refuse(
      path,
      'too_large',
      `/labels/${bad.name}`,
      `value longer than ${ALERT_LIMITS.labelValueLength}`,
    );
  if (total > ALERT_LIMITS.labelBytes)
    return refuse(path, 'too_large', '/labels', `labels larger than ${ALERT_LIMITS.labelBytes} characters`);
  const annotations = alert.annotations ?? {};
  if (size(annotations) > ALERT_LIMITS.annotationBytes)
    return refuse(
      path,
      'too_large',
      '/annotations',
      `annotations larger than ${ALERT_LIMITS.annotationBytes} characters`,
    );
  const generatorURL = alert.generatorURL ?? '';
  if (generatorURL.length > ALERT_LIMITS.generatorUrlLength)
    return refuse(path, 'too_large', '/generatorURL', `longer than ${ALERT_LIMITS.generatorUrlLength}`);
  const starts = time(alert.startsAt, lastStarts);
  const ends = time(alert.endsAt, lastEnds);
  if (starts === 'invalid') return refuse(path, 'bad_time', '/startsAt', 'is not a date-time');
  if (ends === 'invalid') return refuse(path, 'bad_time', '/endsAt', 'is not a date-time');
  if (starts !== undefined && ends !== undefined && ends < starts)
    return refuse(path, 'ends_before_starts', '/endsAt', 'is before startsAt');
  const normalized: NormalizeReason[] = [];
  let startsAt: number;
  if (starts === undefined) {
    startsAt = ends !== undefined && ends < now ? ends : now;
    normalized.push('starts_missing');
  } else if (starts > now + ALERT_LIMITS.futureSkewMs) {
    startsAt = now;
    normalized.push('starts_in_future');
  } else startsAt = starts;
  let endsAt: number;
  if (ends === undefined) {
    endsAt = Math.max(now, startsAt) + resolveTimeoutMs;
    normalized.push('ends_missing');
  } else endsAt = Math.max(ends, startsAt);
  return {
    ok: true,
    alert: {
      labels,
      annotations,
      startsAt: startsAt === starts ? isoOfText(alert.startsAt!, starts, lastStarts) : isoOf(startsAt),
      endsAt: endsAt === ends ? isoOfText(alert.endsAt!, ends, lastEnds) : isoOf(endsAt),
      generatorURL,
    },
    normalized,
  };
}

export type { AlertSource };

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `5m`, `30s`, `1h`, `500ms` in milliseconds (the resolve timeout's setting). */
export function parseDurationMs(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`invalid duration ${JSON.stringify(text)}: use e.g. 5m, 30s, 1h`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
