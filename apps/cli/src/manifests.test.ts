import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeOrigin, formatProblem, parseManifests, readManifests } from './manifests.ts';

const team = (name: string): string =>
  `apiVersion: gantry.dev/v1alpha1\nkind: Team\nmetadata:\n  name: ${name}\nspec:\n  displayName: ${name}\n`;

describe('parseManifests', () => {
  it('splits multi-document YAML and numbers documents from 1, counting empty ones', () => {
    const text = `${team('a')}---\n# only a comment\n---\n${team('b')}`;
    const { manifests, problems } = parseManifests(text, 'teams.yaml');
    expect(problems).toEqual([]);
    expect(manifests.map((m) => [m.object.metadata.name, m.origin.document])).toEqual([
      ['a', 1],
      ['b', 3],
    ]);
    expect(manifests[0]?.object.spec).toEqual({ displayName: 'a' });
  });

  it('reads JSON, which is YAML too', () => {
    const json = JSON.stringify(
      { apiVersion: 'gantry.dev/v1alpha1', kind: 'Team', metadata: { name: 'j' } },
      null,
      2,
    );
    const { manifests } = parseManifests(json, 'team.json');
    expect(manifests[0]?.object.metadata.name).toBe('j');
  });

  it('expands List documents into items with their position', () => {
    const text = `apiVersion: gantry.dev/v1alpha1\nkind: TeamList\nitems:\n  - {apiVersion: gantry.dev/v1alpha1, kind: Team, metadata: {name: x}}\n  - {apiVersion: gantry.dev/v1alpha1, kind: Team}\n`;
    const { manifests, problems } = parseManifests(text, 'list.yaml');
    expect(manifests.map((m) => m.origin)).toEqual([{ source: 'list.yaml', document: 1, item: 1 }]);
    expect(problems).toEqual([
      { source: 'list.yaml', document: 1, item: 2, field: 'metadata', message: 'required' },
    ]);
    expect(formatProblem(problems[0]!)).toBe('list.yaml (document 1, item 2): metadata: required');
  });

  it('names the missing field of a document that is not a resource', () => {
    const text = `${team('ok')}---\napiVersion: gantry.dev/v1alpha1\nkind: Team\nmetadata: {labels: {}}\n---\n- just\n- a list\n`;
    const { manifests, problems } = parseManifests(text, 'mixed.yaml');
    expect(manifests).toHaveLength(1);
    expect(problems.map(formatProblem)).toEqual([
      'mixed.yaml (document 2): metadata.name: required',
      'mixed.yaml (document 3): expected an object with apiVersion, kind and metadata',
    ]);
  });

  it('reports YAML syntax errors with file, line and column', () => {
    // Line 11 is `  name: b: c`; the nested mapping starts at column 9.
    const text = `${team('a')}---\napiVersion: gantry.dev/v1alpha1\nkind: Team\nmetadata:\n  name: b: c\n`;
    const { manifests, problems } = parseManifests(text, 'apps/web.yaml');
    expect(manifests).toHaveLength(1);
    expect(problems).toHaveLength(1);
    const [problem] = problems;
    expect(problem).toMatchObject({ source: 'apps/web.yaml', document: 2, line: 11, column: 9 });
    expect(formatProblem(problem!)).toBe(
      'apps/web.yaml:11:9: invalid YAML: Nested mappings are not allowed in compact mappings',
    );
  });

  it('reports tab indentation at its line', () => {
    const { problems } = parseManifests('kind: Team\nmetadata:\n\tname: x\n', 'tabs.yaml');
    expect(formatProblem(problems[0]!)).toBe(
      'tabs.yaml:3:1: invalid YAML: Tabs are not allowed as indentation',
    );
  });

  it('reports an unterminated flow mapping at its position', () => {
    // The parser notices at the end of input, on line 3.
    const { problems } = parseManifests('kind: Team\nmetadata: {name: x\n', 'f.yaml');
    expect(problems[0]?.line).toBe(3);
    expect(problems[0]?.message).toMatch(/^invalid YAML: /);
  });
});

describe('readManifests', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-manifests-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const noStdin = (): Promise<string> => Promise.reject(new Error('stdin not expected'));

  it('walks directories recursively in name order, taking only .yaml, .yml and .json', async () => {
    await mkdir(join(dir, 'b-nested', 'deeper'), { recursive: true });
    await writeFile(join(dir, 'c.yml'), team('c'));
    await writeFile(join(dir, 'a.yaml'), `${team('a1')}---\n${team('a2')}`);
    await writeFile(
      join(dir, 'b-nested', 'deeper', 'd.json'),
      JSON.stringify({ apiVersion: 'gantry.dev/v1alpha1', kind: 'Team', metadata: { name: 'd' } }),
    );
    await writeFile(join(dir, 'notes.txt'), 'not: a manifest');
    await writeFile(join(dir, 'README.md'), '# no');
    const { manifests, problems } = await readManifests([dir], noStdin);
    expect(problems).toEqual([]);
    expect(manifests.map((m) => `${m.object.metadata.name}@${describeOrigin(m.origin)}`)).toEqual([
      `a1@${join(dir, 'a.yaml')} (document 1)`,
      `a2@${join(dir, 'a.yaml')} (document 2)`,
      `d@${join(dir, 'b-nested', 'deeper', 'd.json')} (document 1)`,
      `c@${join(dir, 'c.yml')} (document 1)`,
    ]);
  });

  it('reads - from stdin once, and takes any extension for a file named explicitly', async () => {
    const file = join(dir, 'team.txt');
    await writeFile(file, team('file'));
    const { manifests } = await readManifests(['-', file, '-'], () => Promise.resolve(team('piped')));
    expect(manifests.map((m) => [m.object.metadata.name, m.origin.source])).toEqual([
      ['piped', '<stdin>'],
      ['file', file],
    ]);
  });

  it('reports a missing path and carries on with the rest', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, team('ok'));
    const missing = join(dir, 'missing.yaml');
    const { manifests, problems } = await readManifests([missing, file], noStdin);
    expect(manifests).toHaveLength(1);
    expect(problems.map(formatProblem)).toEqual([`${missing}: no such file or directory`]);
  });
});
