import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('password policy', () => {
  let server: TestServer;
  let admin: ReturnType<typeof client>;
  const dir = mkdtempSync(join(tmpdir(), 'gantry-passwords-'));

  beforeAll(async () => {
    const list = join(dir, 'banned.txt');
    writeFileSync(list, '# our own\nGantryRocks2026!\n\n');
    server = await startTestServer({ config: { passwordMinLength: 14, passwordDenyListFile: list } });
    admin = client(server.url, server.adminToken);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = (password: string) => admin.post('/api/users', { username: 'pat', password });

  it('refuses passwords shorter than the configured length, naming the field', async () => {
    const refused = await create('thirteen-char');
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('GANTRY_E_INVALID');
    expect(refused.body.details).toEqual([
      { path: '/password', message: 'must be at least 14 characters long' },
    ]);
  });

  it('refuses common passwords, built in and from the configured list, whatever the case', async () => {
    for (const password of ['Password123456', 'gantryrocks2026!', 'abababababababab']) {
      const refused = await create(password);
      expect(refused.status).toBe(400);
      expect(refused.body.details[0].path).toBe('/password');
    }
  });

  it('applies to password changes too, and accepts a good password', async () => {
    expect((await create('a-long-and-unusual-passphrase')).status).toBe(201);
    expect((await admin.patch('/api/users/pat', { password: 'short' }, 'application/json')).status).toBe(400);
  });
});
