import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scoreCorpus, type ClassScore, type Corpus } from './corpus-scoring.ts';
import { defaultDetectorOptions, type BaselineAlgorithm } from './detector-options.ts';

// The labelled corpus (test/anomaly-corpus/generate.mjs, seed in the file): 36 series of three weeks at a
// five-minute step in nine classes. The floors below are the figures measured with the defaults (ADR 0021),
// rounded down by a few points so that a change that makes detection worse fails here.
const corpus = JSON.parse(
  readFileSync(new URL('../../../../test/anomaly-corpus/corpus.json', import.meta.url), 'utf8'),
) as Corpus;

function table(algorithm: BaselineAlgorithm): ClassScore[] {
  const scores = scoreCorpus(corpus, (stepMs) => ({ ...defaultDetectorOptions(stepMs), algorithm }));
  const percent = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));
  console.log(
    `algorithm ${algorithm}\n` +
      'class            labelled detected episodes false precision recall\n' +
      scores
        .map(
          (s) =>
            `${s.class.padEnd(16)} ${String(s.labelled).padStart(8)} ${String(s.detected).padStart(8)} ` +
            `${String(s.episodes).padStart(8)} ${String(s.falseEpisodes).padStart(5)} ` +
            `${percent(s.precision).padStart(9)} ${percent(s.recall).padStart(6)}`,
        )
        .join('\n'),
  );
  return scores;
}

const row = (scores: ClassScore[], name: string) => scores.find((s) => s.class === name)!;

describe('detection quality on the labelled corpus', () => {
  it('auto (the default): overall precision ≥ 0.85 and recall ≥ 0.93, and per class', () => {
    const scores = table('auto');
    const overall = row(scores, 'overall');
    expect(overall.precision).toBeGreaterThanOrEqual(0.85);
    expect(overall.recall).toBeGreaterThanOrEqual(0.93);
    // Floors per class: [precision, recall].
    const floors: Record<string, [number, number]> = {
      'daily-seasonal': [0.95, 0.9],
      // Before two weeks a weekend's drop looks like a shift: the weekly profile only knows it afterwards.
      'weekly-seasonal': [0.5, 0.8],
      trend: [0.95, 0.95],
      noisy: [0.95, 0.95],
      gapped: [0.95, 0.95],
      spiky: [0.95, 0.95],
      'level-shift': [0.95, 0.95],
      flat: [0.95, 0.95],
    };
    for (const [name, [precision, recall]] of Object.entries(floors)) {
      expect(row(scores, name).precision, `${name} precision`).toBeGreaterThanOrEqual(precision);
      expect(row(scores, name).recall, `${name} recall`).toBeGreaterThanOrEqual(recall);
    }
    // Sparse series never get a verdict; single spikes and noise-free constants never alert.
    expect(row(scores, 'sparse').episodes).toBe(0);
    expect(row(scores, 'spiky').falseEpisodes).toBe(0);
    expect(row(scores, 'flat').falseEpisodes).toBe(0);
  });

  it('seasonal, EWMA and MAD alone: what each is for', () => {
    const seasonal = table('seasonal');
    expect(row(seasonal, 'overall').precision).toBeGreaterThanOrEqual(0.85);
    expect(row(seasonal, 'overall').recall).toBeGreaterThanOrEqual(0.9);
    const ewma = table('ewma');
    // EWMA is good on non-seasonal series and misses what hides in a daily curve.
    expect(row(ewma, 'trend').recall).toBeGreaterThanOrEqual(0.95);
    expect(row(ewma, 'daily-seasonal').recall).toBeLessThan(0.3);
    const mad = table('mad');
    // The median finds everything on flat-ish series, and its lag on a daily curve costs false alarms.
    expect(row(mad, 'trend').recall).toBeGreaterThanOrEqual(0.95);
    expect(row(mad, 'noisy').precision).toBeGreaterThanOrEqual(0.85);
    expect(row(mad, 'daily-seasonal').precision).toBeLessThan(0.2);
  });
});
