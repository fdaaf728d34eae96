// Baselines at scale (issue 11, Performance: "10,000 series checked against their baselines a minute on
// one core"). In one process, on one core (Node's main thread), without Prometheus or HTTP:
//  1. History: `--series` series (default 10,000) each rebuilt from `--history-days` of points at a
//     `--step` (default 15 days at 5 minutes: the weekly profile is in use), as a new leader does from a
//     Baseline's lookback. Reports the CPU time of the rebuild.
//  2. Steady state: `--minutes` evaluations (default 60), each one new point per series through the
//     series monitor (detector update + verdict + sustained rule), timed with process.cpuUsage: CPU ms per
//     minute of series, per series, and the share of one core it takes at one evaluation a minute.
//  3. The same through the evaluator's SeriesSet (series keys, sorting, stale check): what an evaluation
//     costs past the range read, still without HTTP.
// Values: a level, a daily curve and noise from a seeded PRNG, a few series shifted mid-run so that the
// deviating path (risk details) is exercised. Generation is outside the timed sections.
// Usage: node --import tsx bench/baselines.mjs [--series 10000] [--history-days 15] [--step 5m]
//        [--minutes 60] [--algorithm auto] [--json]
import { parseArgs } from 'node:util';
import { defaultDetectorOptions, SeriesMonitor } from '../packages/health/src/anomaly/index.ts';
import { SeriesSet, observationOf } from '../packages/health/src/anomaly/series-set.ts';
import { resolveBaseline } from '../packages/health/src/anomaly/baseline-spec.ts';

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '10000' },
    'history-days': { type: 'string', default: '15' },
    step: { type: 'string', default: '5m' },
    minutes: { type: 'string', default: '60' },
    algorithm: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
  },
});
const SERIES = Number(values.series);
const STEP_MS = { '1m': 60_000, '5m': 300_000 }[values.step] ?? Number(values.step);
const HISTORY = Math.round((Number(values['history-days']) * 86_400_000) / STEP_MS);
const MINUTES = Number(values.minutes);
const START = Date.UTC(2026, 0, 5);

let seed = 12345;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const levels = Float64Array.from({ length: SERIES }, () => 50 + 500 * random());
const amplitudes = Float64Array.from({ length: SERIES }, (_, i) => levels[i] * 0.3 * random());
const value = (s, i) => {
  const day = ((i * STEP_MS) % 86_400_000) / 86_400_000;
  return levels[s] + amplitudes[s] * Math.sin(2 * Math.PI * day) + levels[s] * 0.02 * (random() - 0.5);
};
const cpuMs = (since) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

const options = { ...defaultDetectorOptions(STEP_MS), algorithm: values.algorithm };
const monitors = Array.from({ length: SERIES }, () => new SeriesMonitor(options));

// 1. history, a block of steps at a time so that generation stays outside the timing
let rebuildMs = 0;
const block = new Float64Array(SERIES * 288);
for (let from = 0; from < HISTORY; from += 288) {
  const steps = Math.min(288, HISTORY - from);
  for (let k = 0; k < steps; k++) for (let s = 0; s < SERIES; s++) block[k * SERIES + s] = value(s, from + k);
  const before = process.cpuUsage();
  for (let s = 0; s < SERIES; s++) {
    const monitor = monitors[s];
    for (let k = 0; k < steps; k++) monitor.push(START + (from + k) * STEP_MS, block[k * SERIES + s]);
  }
  rebuildMs += cpuMs(before);
}

// 2. steady state: one point per series per evaluation
const minute = new Float64Array(SERIES);
const perMinute = [];
let deviating = 0;
for (let m = 0; m < MINUTES; m++) {
  const i = HISTORY + m;
  for (let s = 0; s < SERIES; s++)
    minute[s] = value(s, i) + (s % 1000 === 0 && m >= MINUTES / 2 ? levels[s] : 0);
  const before = process.cpuUsage();
  const t = START + i * STEP_MS;
  deviating = 0;
  for (let s = 0; s < SERIES; s++) {
    monitors[s].push(t, minute[s]);
    if (monitors[s].deviating) deviating += 1;
  }
  perMinute.push(cpuMs(before));
}
perMinute.sort((a, b) => a - b);
const median = perMinute[Math.floor(perMinute.length / 2)];
const p99 = perMinute[Math.min(perMinute.length - 1, Math.floor(perMinute.length * 0.99))];

// 3. through the evaluator's SeriesSet, with the risks' details built for the deviating series
const resolved = resolveBaseline({
  source: { name: 'bench' },
  query: 'bench',
  step: values.step,
  lookback: '1d',
  interval: '1m',
  algorithm: values.algorithm,
  sensitivity: 'medium',
  sustained: { k: 3, n: 5 },
  clearAfter: '1h',
  direction: 'both',
  score: { atEdge: 40, max: 90, saturateAt: 3 },
  maxSeries: 10_000,
});
if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
const set = new SeriesSet(resolved.baseline);
const labels = Array.from({ length: SERIES }, (_, s) => ({
  __name__: 'bench',
  instance: `host-${s}`,
  job: 'bench',
}));
const read = (i) =>
  labels.map((l, s) => ({ labels: l, times: [START + i * STEP_MS], values: [value(s, i)] }));
for (let i = 0; i < 40; i++) set.feed(read(i), START + i * STEP_MS); // past the sparse guard
const setMinute = [];
for (let m = 0; m < Math.min(MINUTES, 20); m++) {
  const i = 40 + m;
  const input = read(i);
  const before = process.cpuUsage();
  set.feed(input, START + i * STEP_MS);
  for (const followed of set.series.values())
    if (followed.monitor.deviating) observationOf('bench', resolved.baseline, followed);
  setMinute.push(cpuMs(before));
}
setMinute.sort((a, b) => a - b);
const setMedian = setMinute[Math.floor(setMinute.length / 2)];

const result = {
  series: SERIES,
  algorithm: values.algorithm,
  stepMs: STEP_MS,
  historyPoints: HISTORY,
  rebuildCpuMs: Math.round(rebuildMs),
  rebuildNsPerPoint: Math.round((rebuildMs * 1e6) / (HISTORY * SERIES)),
  minuteCpuMsMedian: Number(median.toFixed(2)),
  minuteCpuMsP99: Number(p99.toFixed(2)),
  usPerSeriesCheck: Number(((median * 1000) / SERIES).toFixed(3)),
  coreShareAtOneAMinute: `${((median / 60_000) * 100).toFixed(3)} %`,
  deviatingAtEnd: deviating,
  seriesSetMinuteCpuMsMedian: Number(setMedian.toFixed(2)),
  rssMb: Math.round(process.memoryUsage().rss / 1e6),
  heapMb: Math.round(process.memoryUsage().heapUsed / 1e6),
};
if (values.json) console.log(JSON.stringify(result));
else for (const [key, v] of Object.entries(result)) console.log(`${key.padEnd(28)} ${v}`);
