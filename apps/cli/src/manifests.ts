import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Resource } from '@gantry/client';
import { describeOrigin, type ManifestOrigin } from './manifest-origin.ts';
import { isRecord } from './objects.ts';

export { describeOrigin, type ManifestOrigin };

/** A document and where it came from, for messages: the path as the user typed it, 1-based indices. */
export interface Manifest {
  origin: ManifestOrigin;
  object: Resource;
}

export interface ManifestProblem {
  source: string;
  document?: number;
  item?: number;
  line?: number;
  column?: number;
  field?: string;
  message: string;
}

export interface ManifestSet {
  manifests: Manifest[];
  problems: ManifestProblem[];
}

export const STDIN_SOURCE = '<stdin>';
const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

export function formatProblem(problem: ManifestProblem): string {
  const where =
    problem.line !== undefined
      ? `${problem.source}:${problem.line}:${problem.column ?? 1}`
      : describeOrigin(problem);
  return `${where}: ${problem.field === undefined ? '' : `${problem.field}: `}${problem.message}`;
}

/**
 * Splits one file's text into objects: multi-document YAML (JSON is YAML too), `kind: List` documents
 * expanded into their items, empty documents skipped but still counted so indices match the file.
 */
export function parseManifests(text: string, source: string): ManifestSet {
  const manifests: Manifest[] = [];
  const problems: ManifestProblem[] = [];
  const documents = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [];
  list.forEach((doc, index) => {
    const document = index + 1;
    const [syntax] = doc.errors;
    if (syntax !== undefined) {
      const position = syntax.linePos?.[0];
      problems.push({
        source,
        document,
        ...(position ? { line: position.line, column: position.col } : {}),
        message: `invalid YAML: ${syntax.message.split(/ at line \d+, column \d+/)[0]?.split('\n')[0] ?? syntax.code}`,
      });
      return;
    }
    if (doc.contents === null) return;
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    const origin: ManifestOrigin = { source, document };
    if (
      isRecord(value) &&
      typeof value['kind'] === 'string' &&
      value['kind'].endsWith('List') &&
      Array.isArray(value['items'])
    ) {
      value['items'].forEach((item: unknown, itemIndex) =>
        collect(item, { ...origin, item: itemIndex + 1 }, manifests, problems),
      );
    } else {
      collect(value, origin, manifests, problems);
    }
  });
  return { manifests, problems };
}

function collect(
  value: unknown,
  origin: ManifestOrigin,
  manifests: Manifest[],
  problems: ManifestProblem[],
): void {
  const problem = (field: string | undefined, message: string): void => {
    problems.push({ ...origin, ...(field === undefined ? {} : { field }), message });
  };
  if (!isRecord(value)) {
    problem(undefined, 'expected an object with apiVersion, kind and metadata');
    return;
  }
  if (typeof value['apiVersion'] !== 'string' || value['apiVersion'] === '')
    return problem('apiVersion', 'required');
  if (typeof value['kind'] !== 'string' || value['kind'] === '') return problem('kind', 'required');
  const metadata = value['metadata'];
  if (!isRecord(metadata)) return problem('metadata', 'required');
  if (typeof metadata['name'] !== 'string' || metadata['name'] === '')
    return problem('metadata.name', 'required');
  manifests.push({ origin, object: value as Resource });
}

/**
 * Reads `-f` arguments: files, directories (recursively, *.yaml/*.yml/*.json in name order) and `-`
 * for stdin. Problems are collected, not thrown, so that every mistake is reported in one run.
 */
export async function readManifests(
  paths: readonly string[],
  readStdin: () => Promise<string>,
): Promise<ManifestSet> {
  const result: ManifestSet = { manifests: [], problems: [] };
  let stdinRead = false;
  for (const path of paths) {
    if (path === '-') {
      if (stdinRead) continue;
      stdinRead = true;
      append(result, parseManifests(await readStdin(), STDIN_SOURCE));
      continue;
    }
    let files: string[];
    try {
      files = (await stat(path)).isDirectory() ? await manifestFiles(path) : [path];
    } catch (error) {
      result.problems.push({ source: path, message: describeFsError(error) });
      continue;
    }
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        result.problems.push({ source: file, message: describeFsError(error) });
        continue;
      }
      append(result, parseManifests(text, file));
    }
  }
  return result;
}

async function manifestFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await manifestFiles(path)));
    else if (entry.isFile() && MANIFEST_EXTENSIONS.test(entry.name)) files.push(path);
  }
  return files;
}

function append(into: ManifestSet, from: ManifestSet): void {
  into.manifests.push(...from.manifests);
  into.problems.push(...from.problems);
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}
