import type { KindInfo } from '../api/types';
import type { PlatformEntry } from '../lib/platform-map';

export interface EntryLink {
  readonly to: string;
  /** The kind that backs the entry on this server, if any. */
  readonly kind: KindInfo | undefined;
  readonly available: boolean;
}

/** Where a platform-map entry leads on this server: its own page, its kind's browser, or "not available". */
export function resolveEntry(entry: PlatformEntry, kinds: readonly KindInfo[] | undefined): EntryLink {
  const kind = entry.kinds.map((name) => kinds?.find((candidate) => candidate.kind === name)).find(Boolean);
  if (entry.route) return { to: entry.route, kind, available: true };
  if (kind) return { to: `/resources/${kind.plural}`, kind, available: true };
  return { to: `/platform/${entry.key}`, kind: undefined, available: false };
}
