import { CliError } from './errors.ts';

/**
 * `-l key=value` arguments (repeatable, each possibly `a=b,c=d`) as a label map. Label syntax itself
 * (lengths, characters) is the server's to check; this only catches what cannot be a label at all.
 */
export function parseLabelArgs(args: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const arg of args) {
    for (const pair of arg.split(',')) {
      const at = pair.indexOf('=');
      const key = at === -1 ? '' : pair.slice(0, at).trim();
      if (key === '') throw new CliError(`invalid label "${pair}": use key=value`);
      labels[key] = pair.slice(at + 1).trim();
    }
  }
  return labels;
}
