import type { LabelSet } from '../matchers.ts';

/** A label set as Alertmanager prints it (names sorted): `{alertname="Down", job="api"}`. */
export function formatLabels(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((name) => `${name}=${JSON.stringify(labels[name])}`).join(', ')}}`;
}

/** Only the labels named (those absent stay absent); `all` keeps every label (`group_by: ['...']`). */
export function pickLabels(labels: LabelSet, names: readonly string[], all: boolean): Record<string, string> {
  if (all) return { ...labels };
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = labels[name];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  return picked;
}

/** The labels every one of the sets has with the same value. */
export function commonLabels(sets: readonly LabelSet[]): Record<string, string> {
  const [first, ...rest] = sets;
  if (!first) return {};
  const common: Record<string, string> = {};
  for (const [name, value] of Object.entries(first)) {
    if (rest.every((set) => set[name] === value)) common[name] = value;
  }
  return common;
}
