import type { InspectionDiffEntry, InspectionRunDiff, InspectionRunWithResults } from '@gantry/model';

/**
 * Compares two runs of one inspection, risk by (check, key). Only checks that ran to a verdict (`ok` or
 * `risks`) in both runs are compared; the others are `unknown`: a risk is never "gone" because the
 * Prometheus was down for one of the runs.
 */
export function diffRuns(
  run: InspectionRunWithResults,
  against: InspectionRunWithResults | undefined,
): InspectionRunDiff {
  const verdict = (outcome: string) => outcome === 'ok' || outcome === 'risks';
  const diff: InspectionRunDiff = {
    run: run.id,
    ...(against ? { against: against.id } : {}),
    new: [],
    gone: [],
    changed: [],
    unchanged: 0,
    unknown: [],
  };
  const older = new Map((against?.results ?? []).map((result) => [result.check, result]));
  for (const result of run.results) {
    const before = older.get(result.check);
    older.delete(result.check);
    if (!verdict(result.outcome) || (before && !verdict(before.outcome))) {
      diff.unknown.push(result.check);
      continue;
    }
    const previous = new Map((before?.findings ?? []).map((finding) => [finding.key, finding]));
    for (const finding of result.findings) {
      const entry: InspectionDiffEntry = { check: result.check, ...finding };
      const was = previous.get(finding.key);
      previous.delete(finding.key);
      if (!was) diff.new.push(entry);
      else if (was.score !== finding.score) diff.changed.push({ ...entry, previousScore: was.score });
      else diff.unchanged += 1;
    }
    for (const finding of previous.values()) diff.gone.push({ check: result.check, ...finding });
  }
  // Checks the older run had and the newer does not: removed from the spec; their risks are gone.
  for (const result of older.values()) {
    if (!verdict(result.outcome)) continue;
    for (const finding of result.findings) diff.gone.push({ check: result.check, ...finding });
  }
  return diff;
}
