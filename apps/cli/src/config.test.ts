import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  configPath,
  loadConfig,
  parseConfig,
  readCanonical,
  saveConfig,
  selectContext,
  serializeConfig,
  upsertContext,
  type GantryConfig,
} from './config.ts';

describe('config', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lives in ~/.gantry/config unless GANTRY_CONFIG says otherwise', () => {
    expect(configPath({})).toBe(join(homedir(), '.gantry', 'config'));
    expect(configPath({ GANTRY_CONFIG: '/x/y' })).toBe('/x/y');
  });

  it('starts empty when the file does not exist', async () => {
    expect(await loadConfig(join(dir, 'none'))).toEqual({ contexts: [] });
  });

  it('round-trips through YAML in the documented shape, with mode 0600', async () => {
    const path = join(dir, 'nested', 'config');
    const config = upsertContext(
      { contexts: [] },
      { name: 'prod', server: 'https://g.example', token: 's3cret', team: 'payments' },
    );
    await saveConfig(path, { ...config, currentContext: 'prod' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(
      'contexts:\n  - name: prod\n    server: https://g.example\n    token: s3cret\n    team: payments\ncurrent-context: prod\n',
    );
    expect(await loadConfig(path)).toEqual({
      contexts: [{ name: 'prod', server: 'https://g.example', token: 's3cret', team: 'payments' }],
      currentContext: 'prod',
    });
  });

  it('replaces a context of the same name in place', () => {
    let config = upsertContext({ contexts: [] }, { name: 'a', server: 's1', token: 't1' });
    config = upsertContext(config, { name: 'b', server: 's2', token: 't2' });
    config = upsertContext(config, { name: 'a', server: 's3', token: 't3' });
    expect(config.contexts.map((c) => `${c.name}:${c.server}`)).toEqual(['a:s3', 'b:s2']);
  });

  it('explains a broken file and a missing context', async () => {
    const path = join(dir, 'config');
    await writeFile(path, 'contexts:\n  - name: x\n');
    await expect(loadConfig(path)).rejects.toThrow(
      `config ${path}: contexts[0] needs string name, server and token`,
    );
    expect(() => selectContext({ contexts: [] }, path)).toThrow('not logged in: run gantry login');
    expect(() => selectContext({ contexts: [] }, path, 'gone')).toThrow(
      `context "gone" not found in ${path}`,
    );
  });
});

describe('reading the config without the YAML library', () => {
  const configs: GantryConfig[] = [
    { contexts: [] },
    { contexts: [], currentContext: 'prod' },
    {
      contexts: [
        { name: 'prod', server: 'https://gantry.example.com:8443', token: 'gnt_abc-DEF_123', team: 'ops' },
        { name: 'local', server: 'http://127.0.0.1:8080', token: 'gns_x' },
      ],
      currentContext: 'local',
    },
    // Values YAML would not read as these strings unquoted: the library writes them quoted.
    { contexts: [{ name: 'true', server: 'http://h', token: '123' }], currentContext: 'a: b' },
    { contexts: [{ name: 'x #y', server: 'http://h', token: 'null' }] },
  ];

  it.each(configs.map((config, index) => [index, config] as const))(
    'reads what serializeConfig writes as the YAML library does (%i)',
    async (_index, config) => {
      const text = await serializeConfig(config);
      const canonical = readCanonical(text);
      if (canonical !== undefined) expect(canonical).toEqual(parse(text));
      expect(await parseConfig(text, 'config')).toEqual(config);
    },
  );

  it('takes what `gantry login` writes for real servers and tokens itself', async () => {
    expect(readCanonical(await serializeConfig(configs[2]!))).toBeDefined();
  });

  it.each([
    'contexts:\n  - name: a\n    server: http://h\n    token: t\ncurrent-context: a\n',
    'contexts: []\ncurrent-context: ""\n',
  ])('takes the canonical shape itself', (text) => {
    expect(readCanonical(text)).toEqual(parse(text));
  });

  it.each([
    'contexts: []\n  - name: a\n',
    'contexts:\n  - name: a\n    name: b\n',
    'contexts:\n    name: a\n',
    'contexts:\n  - name: 123\n',
    'contexts:\n  - name: yes\n',
    'contexts:\n  - name: a:\n',
    'contexts:\n  - name: a # comment\n',
    'contexts:\n  - name: "quoted"\n',
    'contexts:\n- name: a\n',
    '# a comment\ncontexts: []\n',
    'contexts:\ncontexts:\n',
  ])('leaves anything else to the library: %j', (text) => {
    expect(readCanonical(text)).toBeUndefined();
  });
});
