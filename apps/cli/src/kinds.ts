import { apiVersionOf, kindInfos, type KindInfo, type KindList } from '@gantry/client';
import { CliError } from './errors.ts';

export { apiVersionOf };
export type { KindInfo };

/** The kinds of `GET /api/kinds`. */
export function parseKinds(body: KindList): KindInfo[] {
  if (!Array.isArray(body?.items))
    throw new CliError('unexpected response from GET /api/kinds: no list of kinds');
  return kindInfos(body);
}

/** Resolves what the user typed (`Team`, `teams`, `team`, a short name; any case) to a kind. */
export function resolveKind(kinds: readonly KindInfo[], typed: string): KindInfo {
  const wanted = typed.toLowerCase();
  const found = kinds.find(
    (k) =>
      k.kind.toLowerCase() === wanted ||
      k.plural.toLowerCase() === wanted ||
      k.singular.toLowerCase() === wanted ||
      k.shortNames.some((s) => s.toLowerCase() === wanted),
  );
  if (found) return found;
  const known = kinds
    .map((k) => k.plural)
    .sort()
    .join(', ');
  throw new CliError(
    `the server doesn't have a resource type "${typed}" (known: ${known === '' ? 'none' : known}; see gantry api-resources)`,
  );
}

/** Resolves a manifest's `apiVersion` + `kind` exactly (kind names in files are case-sensitive). */
export function resolveManifestKind(kinds: readonly KindInfo[], apiVersion: string, kind: string): KindInfo {
  const found = kinds.find((k) => k.kind === kind && apiVersionOf(k) === apiVersion);
  if (found) return found;
  const sameKind = kinds.find((k) => k.kind === kind);
  if (sameKind) {
    throw new CliError(
      `apiVersion "${apiVersion}" is not served for kind ${kind} (use ${apiVersionOf(sameKind)})`,
    );
  }
  throw new CliError(`unknown kind "${kind}" (see gantry api-resources)`);
}
