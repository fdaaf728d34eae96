import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { CliError } from './errors.ts';
import { isRecord } from './objects.ts';

/** What `cluster add` checks in a kubeconfig before sending it: that it reads, and its contexts. */
export interface KubeconfigSummary {
  /** Context names, in file order. */
  contexts: string[];
  currentContext?: string;
}

/** Reads and checks a kubeconfig file; every failure names the file. Returns its text and summary. */
export async function readKubeconfig(path: string): Promise<{ text: string; summary: KubeconfigSummary }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read kubeconfig ${path}${code === undefined ? '' : ` (${code})`}`, {
      cause: error,
    });
  }
  return { text, summary: parseKubeconfig(text, path) };
}

/** Checks that `text` is a kubeconfig (YAML or JSON with a list of named contexts) and lists its contexts. */
export function parseKubeconfig(text: string, source: string): KubeconfigSummary {
  const document = parseDocument(text);
  const [syntax] = document.errors;
  if (syntax !== undefined) {
    const position = syntax.linePos?.[0];
    const where = position === undefined ? source : `${source}:${position.line}:${position.col}`;
    const message = syntax.message.split(/ at line \d+, column \d+/)[0]?.split('\n')[0] ?? syntax.code;
    throw new CliError(`${where}: not a kubeconfig: invalid YAML: ${message}`);
  }
  const value: unknown = document.toJS();
  if (!isRecord(value)) throw new CliError(`${source}: not a kubeconfig: expected a YAML mapping`);
  const rawContexts = value['contexts'] ?? [];
  if (!Array.isArray(rawContexts)) throw new CliError(`${source}: not a kubeconfig: contexts must be a list`);
  const contexts = rawContexts.map((entry: unknown, index) => {
    if (!isRecord(entry) || typeof entry['name'] !== 'string' || entry['name'] === '')
      throw new CliError(`${source}: not a kubeconfig: contexts[${index}] has no name`);
    return entry['name'];
  });
  const current = value['current-context'];
  return typeof current === 'string' && current !== '' ? { contexts, currentContext: current } : { contexts };
}

/**
 * The context the cluster will be reached through: `--context` when given, else the file's current
 * context; either must be one the file defines, or the error lists those it does.
 */
export function checkContext(summary: KubeconfigSummary, source: string, wanted?: string): string {
  const known = summary.contexts.length === 0 ? 'none' : summary.contexts.join(', ');
  if (wanted !== undefined) {
    if (!summary.contexts.includes(wanted))
      throw new CliError(`context "${wanted}" not found in kubeconfig ${source} (contexts: ${known})`);
    return wanted;
  }
  if (summary.currentContext === undefined)
    throw new CliError(`kubeconfig ${source} has no current-context: pass --context (contexts: ${known})`);
  if (!summary.contexts.includes(summary.currentContext)) {
    throw new CliError(
      `kubeconfig ${source}: current-context "${summary.currentContext}" is not one of its contexts (contexts: ${known})`,
    );
  }
  return summary.currentContext;
}
