import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkContext, parseKubeconfig, readKubeconfig } from './kubeconfig.ts';

const kubeconfig = [
  'apiVersion: v1',
  'kind: Config',
  'clusters:',
  '- name: east',
  '  cluster: { server: "https://127.0.0.1:6443" }',
  'users:',
  '- name: admin',
  '  user: { token: abc }',
  'contexts:',
  '- name: admin@east',
  '  context: { cluster: east, user: admin }',
  '- name: viewer@east',
  '  context: { cluster: east, user: admin }',
  'current-context: admin@east',
  '',
].join('\n');

describe('parseKubeconfig', () => {
  it('lists the contexts and the current one', () => {
    expect(parseKubeconfig(kubeconfig, 'k.yaml')).toEqual({
      contexts: ['admin@east', 'viewer@east'],
      currentContext: 'admin@east',
    });
  });

  it('reads JSON too', () => {
    const json = JSON.stringify({ contexts: [{ name: 'a', context: {} }] });
    expect(parseKubeconfig(json, 'k.json')).toEqual({ contexts: ['a'] });
  });

  it('names the file, line and column of a YAML error', () => {
    expect(() => parseKubeconfig('contexts:\n  - name: a\n   bad: [', 'k.yaml')).toThrow(
      /^k\.yaml:\d+:\d+: not a kubeconfig: invalid YAML: /,
    );
  });

  it('refuses what is not a kubeconfig, naming the file', () => {
    expect(() => parseKubeconfig('just text', 'k.yaml')).toThrow(
      'k.yaml: not a kubeconfig: expected a YAML mapping',
    );
    expect(() => parseKubeconfig('contexts: 3', 'k.yaml')).toThrow(
      'k.yaml: not a kubeconfig: contexts must be a list',
    );
    expect(() => parseKubeconfig('contexts: [{context: {}}]', 'k.yaml')).toThrow(
      'k.yaml: not a kubeconfig: contexts[0] has no name',
    );
  });
});

describe('checkContext', () => {
  const summary = parseKubeconfig(kubeconfig, 'k.yaml');

  it('accepts a context the file defines, or its current context', () => {
    expect(checkContext(summary, 'k.yaml', 'viewer@east')).toBe('viewer@east');
    expect(checkContext(summary, 'k.yaml')).toBe('admin@east');
  });

  it('names the known contexts when the wanted one is missing', () => {
    expect(() => checkContext(summary, 'k.yaml', 'admin@west')).toThrow(
      'context "admin@west" not found in kubeconfig k.yaml (contexts: admin@east, viewer@east)',
    );
    expect(() => checkContext({ contexts: [] }, 'k.yaml', 'x')).toThrow('(contexts: none)');
  });

  it('asks for --context when the file has no usable current context', () => {
    expect(() => checkContext({ contexts: ['a', 'b'] }, 'k.yaml')).toThrow(
      'kubeconfig k.yaml has no current-context: pass --context (contexts: a, b)',
    );
    expect(() => checkContext({ contexts: ['a'], currentContext: 'gone' }, 'k.yaml')).toThrow(
      'kubeconfig k.yaml: current-context "gone" is not one of its contexts (contexts: a)',
    );
  });
});

describe('readKubeconfig', () => {
  it('names the file it cannot read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-kubeconfig-'));
    try {
      const missing = join(dir, 'nope');
      await expect(readKubeconfig(missing)).rejects.toThrow(`cannot read kubeconfig ${missing} (ENOENT)`);
      const file = join(dir, 'config');
      await writeFile(file, kubeconfig);
      expect((await readKubeconfig(file)).summary.currentContext).toBe('admin@east');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
