#!/usr/bin/env node
// Generates the labelled anomaly corpus (corpus.json) deterministically from a seed: run
// `node test/anomaly-corpus/generate.mjs` after changing it, and commit both. ADR 0021 explains the classes.
//
// Every series is three weeks at a five-minute step. Labelled anomalies are intervals a person would want
// to hear about (bursts, dips, level shifts, a flat line that moves); single-point spikes, gaps and
// sparse points are deliberately unlabelled: a detector that reports them loses precision.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SEED = 20261203;
const STEP_MS = 5 * 60_000;
const START = Date.UTC(2026, 0, 5); // a Monday
const POINTS = 3 * 7 * 288; // three weeks
const HOUR = 12; // points per hour
const DAY = 24 * HOUR;

/** mulberry32: a small, well-known 32-bit PRNG; enough for test data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const uniform = (low, high) => low + (high - low) * random();
const integer = (low, high) => Math.floor(uniform(low, high + 1));
function normal() {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A base shape: level, optional daily and weekly seasonality, optional trend (per day). */
function shape({ level, daily = 0, weekend = 0, trendPerDay = 0 }) {
  return Array.from({ length: POINTS }, (_, i) => {
    const dayPhase = ((i % DAY) / DAY) * 2 * Math.PI;
    const weekday = Math.floor(i / DAY) % 7; // 0 = Monday
    const seasonal = daily * Math.sin(dayPhase - Math.PI / 2) + (weekday >= 5 ? -weekend : 0);
    return level + seasonal + (trendPerDay * i) / DAY;
  });
}

function addNoise(values, sigma, heavyTail = false) {
  return values.map((v) => {
    const scale = heavyTail && random() < 0.03 ? 3 : 1;
    return v + sigma * scale * normal();
  });
}

/** Where an anomaly may start: after the first day, away from the end, not overlapping another. */
function placements(count, length, taken) {
  const starts = [];
  let guard = 0;
  while (starts.length < count && guard++ < 10_000) {
    const start = integer(DAY + 12, POINTS - length - 12);
    const clash = taken.some(([a, b]) => start < b + 2 * HOUR && start + length > a - 2 * HOUR);
    if (clash) continue;
    taken.push([start, start + length]);
    starts.push(start);
  }
  return starts;
}

/** Bursts (kind up) or dips (down): a block of `length` points moved by `size` × sigma. */
function addBursts(values, anomalies, taken, { count, sigma, size: [low, high], length: [minLen, maxLen] }) {
  for (let b = 0; b < count; b++) {
    const length = integer(minLen, maxLen);
    const [start] = placements(1, length, taken);
    if (start === undefined) continue;
    const up = random() < 0.6;
    const size = uniform(low, high) * sigma * (up ? 1 : -1);
    for (let i = start; i < start + length; i++) values[i] += size;
    anomalies.push({ kind: up ? 'burst' : 'dip', start, end: start + length - 1 });
  }
}

/** Single-point spikes: unlabelled on purpose (one odd scrape is not a risk). */
function addSpikes(values, taken, { count, sigma }) {
  for (let s = 0; s < count; s++) {
    const [at] = placements(1, 1, taken);
    if (at === undefined) continue;
    values[at] += (random() < 0.5 ? -1 : 1) * uniform(6, 15) * sigma;
  }
}

function addLevelShift(values, anomalies, taken, { sigma, size: [low, high] }) {
  const [start] = placements(1, 36, taken);
  const delta = uniform(low, high) * sigma * (random() < 0.5 ? -1 : 1);
  for (let i = start; i < POINTS; i++) values[i] += delta;
  // The shift is the anomaly; the new level becomes normal once a baseline had time to learn it.
  anomalies.push({ kind: 'level-shift', start, end: start + 35 });
}

function addGaps(values, taken, { count }) {
  for (let g = 0; g < count; g++) {
    const length = random() < 0.5 ? integer(2, 10) : integer(HOUR * 2, HOUR * 8);
    const start = integer(DAY, POINTS - length - 1);
    if (taken.some(([a, b]) => start < b + HOUR && start + length > a - HOUR)) continue;
    for (let i = start; i < start + length; i++) values[i] = null;
  }
}

const series = [];
function add(name, cls, build) {
  const anomalies = [];
  const taken = [];
  const values = build(anomalies, taken);
  series.push({
    name,
    class: cls,
    values: values.map((v) => (v === null ? null : Math.round(v * 1000) / 1000)),
    anomalies: anomalies
      .sort((a, b) => a.start - b.start)
      .map((a) => ({ kind: a.kind, start: START + a.start * STEP_MS, end: START + a.end * STEP_MS })),
  });
}

for (let v = 0; v < 4; v++) {
  add(`daily-seasonal-${v}`, 'daily-seasonal', (anomalies, taken) => {
    const sigma = uniform(2, 5);
    const values = addNoise(shape({ level: 200, daily: uniform(40, 80) }), sigma);
    addBursts(values, anomalies, taken, { count: 4, sigma, size: [6, 10], length: [6, 24] });
    return values;
  });
  add(`weekly-seasonal-${v}`, 'weekly-seasonal', (anomalies, taken) => {
    const sigma = uniform(2, 5);
    const values = addNoise(shape({ level: 300, daily: uniform(50, 90), weekend: uniform(60, 120) }), sigma);
    addBursts(values, anomalies, taken, { count: 4, sigma, size: [6, 10], length: [6, 24] });
    return values;
  });
  add(`trend-${v}`, 'trend', (anomalies, taken) => {
    const sigma = uniform(1, 3);
    const values = addNoise(shape({ level: 50, trendPerDay: uniform(-1.5, 3) }), sigma);
    addBursts(values, anomalies, taken, { count: 4, sigma, size: [6, 10], length: [6, 24] });
    return values;
  });
  add(`noisy-${v}`, 'noisy', (anomalies, taken) => {
    const sigma = uniform(8, 15);
    const values = addNoise(shape({ level: 100, daily: uniform(0, 10) }), sigma, true);
    addBursts(values, anomalies, taken, { count: 3, sigma, size: [6, 9], length: [8, 24] });
    return values;
  });
  add(`gapped-${v}`, 'gapped', (anomalies, taken) => {
    const sigma = uniform(1, 3);
    const values = addNoise(shape({ level: 80, daily: uniform(0, 10) }), sigma);
    addBursts(values, anomalies, taken, { count: 3, sigma, size: [6, 10], length: [6, 24] });
    addGaps(values, taken, { count: 8 });
    return values;
  });
  add(`spiky-${v}`, 'spiky', (anomalies, taken) => {
    const sigma = uniform(1, 3);
    const values = addNoise(shape({ level: 40 }), sigma);
    addSpikes(values, taken, { count: 25, sigma });
    addBursts(values, anomalies, taken, { count: 2, sigma, size: [6, 10], length: [6, 18] });
    return values;
  });
  add(`level-shift-${v}`, 'level-shift', (anomalies, taken) => {
    const sigma = uniform(1, 3);
    const values = addNoise(shape({ level: 120, daily: uniform(0, 8) }), sigma);
    addLevelShift(values, anomalies, taken, { sigma, size: [8, 20] });
    return values;
  });
  add(`flat-${v}`, 'flat', (anomalies, taken) => {
    // Noise-free constants (a replica count, a configured limit); half of them move once, for good.
    const level = [0, 1, 3, 64][v];
    const values = new Array(POINTS).fill(level);
    if (v % 2 === 1) {
      const [start] = placements(1, 36, taken);
      for (let i = start; i < POINTS; i++) values[i] = level + Math.max(1, level);
      anomalies.push({ kind: 'level-shift', start, end: start + 35 });
    }
    return values;
  });
  add(`sparse-${v}`, 'sparse', (anomalies, taken) => {
    // A scrape that mostly fails: a point now and then, never enough for a verdict.
    const sigma = uniform(1, 3);
    const values = addNoise(shape({ level: 30 }), sigma).map(() => null);
    const dense = addNoise(shape({ level: 30 }), sigma);
    for (let i = 0; i < POINTS; i += integer(HOUR * 4, HOUR * 12)) values[i] = dense[i];
    void anomalies;
    void taken;
    return values;
  });
}

const corpus = { seed: SEED, stepMs: STEP_MS, start: START, points: POINTS, series };
const here = dirname(fileURLToPath(import.meta.url));
writeFileSync(join(here, 'corpus.json'), JSON.stringify(corpus) + '\n');
const labelled = series.reduce((sum, s) => sum + s.anomalies.length, 0);
console.log(`corpus.json: ${series.length} series, ${POINTS} points each, ${labelled} labelled anomalies`);
