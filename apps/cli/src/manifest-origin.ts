// Apart from manifests.ts so that error reports (report.ts, on every command's path) name a manifest's
// place without loading the YAML library (ADR 0011).

/** Where an object of a manifest came from. */
export interface ManifestOrigin {
  source: string;
  document: number;
  /** Position within a `kind: List` document's `items`. */
  item?: number;
}

/** `apps/web.yaml (document 2)`, or `(document 1, item 3)` inside a List. */
export function describeOrigin(origin: { source: string; document?: number; item?: number }): string {
  if (origin.document === undefined) return origin.source;
  const item = origin.item === undefined ? '' : `, item ${origin.item}`;
  return `${origin.source} (document ${origin.document}${item})`;
}
