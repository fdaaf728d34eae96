import { stringify } from 'yaml';

// Apart from output.ts so that table output (`gantry get`'s default) does not load the YAML library, ~17 ms
// of a call (ADR 0011, 0035).

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}
