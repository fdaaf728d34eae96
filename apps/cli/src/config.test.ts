import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configPath, loadConfig, saveConfig, selectContext, upsertContext } from './config.ts';

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
