import type { Resource } from '@gantry/client';
import type { KindInfo } from './kinds.ts';
import { readPath } from './objects.ts';

export const OUTPUT_FORMATS = ['table', 'yaml', 'json', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

// kubectl prints through Go's tabwriter with minwidth 10, padding 3; the same numbers give the same look.
const MIN_CELL_WIDTH = 10;
const CELL_PADDING = 3;

/**
 * kubectl's short human duration: 45s, 5m, 3h, 2d, 1y. A timestamp slightly in the future (clock skew
 * between client and server) reads as 0s; an unparseable one as `<unknown>`.
 */
export function formatAge(timestamp: string | undefined, now: Date): string {
  if (timestamp === undefined) return '<unknown>';
  const then = Date.parse(timestamp);
  if (Number.isNaN(then)) return '<unknown>';
  const seconds = Math.floor((now.getTime() - then) / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / (24 * 365))}y`;
}

/** Column widths (padding included) for a header row plus data rows; the last column is never padded. */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? MIN_CELL_WIDTH, cell.length + CELL_PADDING);
    });
  }
  return widths;
}

export function formatRow(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? cell.length + CELL_PADDING)))
    .join('')
    .trimEnd();
}

/** An aligned table with upper-case headers, one line per row, ending in a newline. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: { noHeaders?: boolean } = {},
): string {
  const all = options.noHeaders === true ? rows : [headers.map((h) => h.toUpperCase()), ...rows];
  if (all.length === 0) return '';
  const widths = columnWidths(all);
  return all.map((row) => formatRow(row, widths)).join('\n') + '\n';
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** kubectl's `-o name` / apply output form: the lower-case kind, a slash, the name. */
export function resourceName(kind: KindInfo | string, name: string): string {
  return `${(typeof kind === 'string' ? kind : kind.kind).toLowerCase()}/${name}`;
}

export interface Column {
  header: string;
  value(resource: Resource, now: Date): string;
}

/**
 * The columns of `get`'s table for a kind: NAME, TEAM (across teams only), the kind's printer columns
 * from the server, AGE.
 */
export function resourceColumns(kind: KindInfo, options: { showTeam: boolean }): Column[] {
  const columns: Column[] = [{ header: 'NAME', value: (r) => r.metadata.name }];
  if (options.showTeam && kind.scope === 'Team')
    columns.push({ header: 'TEAM', value: (r) => r.metadata.team ?? '' });
  for (const printer of kind.printerColumns) {
    columns.push({
      header: printer.name.toUpperCase(),
      value: (r) => formatCell(readPath(r, printer.jsonPath)),
    });
  }
  columns.push({ header: 'AGE', value: (r, now) => formatAge(r.metadata.creationTimestamp, now) });
  return columns;
}

export function formatCell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '<none>';
  if (Array.isArray(value)) return value.length === 0 ? '<none>' : value.map((v) => formatCell(v)).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** `a=b,c=d`, or `<none>`. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}
