import type { DetectorOptions } from './detector-options.ts';
import { SeriesMonitor } from './series-monitor.ts';

/** The labelled corpus's shape (test/anomaly-corpus/generate.mjs writes it). */
export interface Corpus {
  seed: number;
  stepMs: number;
  start: number;
  points: number;
  series: {
    name: string;
    class: string;
    /** One value per step from `start`; null where the series has no point. */
    values: (number | null)[];
    anomalies: { kind: string; start: number; end: number }[];
  }[];
}

export interface ClassScore {
  class: string;
  /** Labelled anomaly intervals, and those an episode overlapped. */
  labelled: number;
  detected: number;
  /** Deviation episodes (a run of `deviating`), and those overlapping no labelled interval. */
  episodes: number;
  falseEpisodes: number;
  /** Undefined when there is nothing to divide by (no labels, or no episodes). */
  precision: number | undefined;
  recall: number | undefined;
}

/**
 * Event-level scoring, as an operator meets it: a labelled interval counts as detected when a deviation
 * episode overlaps it (its end extended by the sustained window, the earliest a k-of-n rule can speak);
 * an episode overlapping no labelled interval is a false alarm. Points are not scored one by one: a level
 * shift flagged for its first hour is as useful as one flagged for a day.
 */
export function scoreCorpus(corpus: Corpus, options: (stepMs: number) => DetectorOptions): ClassScore[] {
  const byClass = new Map<string, Omit<ClassScore, 'precision' | 'recall'>>();
  for (const series of corpus.series) {
    const detector = options(corpus.stepMs);
    const monitor = new SeriesMonitor(detector);
    const slack = detector.sustained.n * corpus.stepMs;
    const episodes: [number, number][] = [];
    let open: number | undefined;
    series.values.forEach((value, i) => {
      if (value === null) return;
      const t = corpus.start + i * corpus.stepMs;
      monitor.push(t, value);
      if (monitor.deviating && open === undefined) open = t;
      if (!monitor.deviating && open !== undefined) {
        episodes.push([open, t]);
        open = undefined;
      }
    });
    if (open !== undefined) episodes.push([open, corpus.start + corpus.points * corpus.stepMs]);
    const overlaps = (e: [number, number], a: { start: number; end: number }) =>
      e[0] <= a.end + slack && e[1] >= a.start;
    const score = byClass.get(series.class) ?? {
      class: series.class,
      labelled: 0,
      detected: 0,
      episodes: 0,
      falseEpisodes: 0,
    };
    score.labelled += series.anomalies.length;
    score.detected += series.anomalies.filter((a) => episodes.some((e) => overlaps(e, a))).length;
    score.episodes += episodes.length;
    score.falseEpisodes += episodes.filter((e) => !series.anomalies.some((a) => overlaps(e, a))).length;
    byClass.set(series.class, score);
  }
  const scores = [...byClass.values()];
  const total = scores.reduce(
    (sum, s) => ({
      class: 'overall',
      labelled: sum.labelled + s.labelled,
      detected: sum.detected + s.detected,
      episodes: sum.episodes + s.episodes,
      falseEpisodes: sum.falseEpisodes + s.falseEpisodes,
    }),
    { class: 'overall', labelled: 0, detected: 0, episodes: 0, falseEpisodes: 0 },
  );
  return [...scores, total].map((s) => ({
    ...s,
    precision: s.episodes === 0 ? undefined : (s.episodes - s.falseEpisodes) / s.episodes,
    recall: s.labelled === 0 ? undefined : s.detected / s.labelled,
  }));
}
