import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Hostile or malformed request bodies get a 4xx with a stable code, never a 500. */
describe('request limits', () => {
  let server: TestServer;
  let admin: ReturnType<typeof client>;
  let stranger: ReturnType<typeof client>;

  beforeAll(async () => {
    server = await startTestServer();
    admin = client(server.url, server.adminToken);
    expect((await admin.post(`${BASE}/teams`, team('limits'))).status).toBe(201);
    expect(
      (await admin.post('/api/users', { username: 'stranger', password: 'stranger-password' })).status,
    ).toBe(201);
    const login = await client(server.url).post('/api/auth/login', {
      username: 'stranger',
      password: 'stranger-password',
    });
    stranger = client(server.url, login.body.token);
  });
  afterAll(() => server?.close());

  const application = (properties: string) =>
    `{"apiVersion":"gantry.dev/v1alpha1","kind":"Application","metadata":{"name":"deep","team":"limits"},` +
    `"spec":{"components":[{"name":"web","type":"webservice","properties":${properties}}]}}`;
  const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const deepArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('refuses deeply nested JSON with 400 GANTRY_E_TOO_DEEP, on every write', async () => {
    const body = application(deepArrays(4000));
    expect(body.length).toBeLessThan(8 * 1024 + 200);
    const writes = [
      () => admin.post(`${BASE}/teams/limits/applications`, body),
      () => admin.put(`${BASE}/teams/limits/applications/deep`, body),
      () => admin.patch(`${BASE}/teams/limits/applications/deep`, `{"spec":${deepJson(4000)}}`),
      () => admin.post(`${BASE}/teams/limits/applications?dryRun=All`, application(deepJson(2000))),
      () => admin.put('/api/teams/limits/secrets/deep', `{"data":${deepJson(3000)}}`),
    ];
    for (const write of writes) {
      const reply = await write();
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('GANTRY_E_TOO_DEEP');
    }
  });

  it('checks the depth before authorization: a stranger gets the same 400', async () => {
    const reply = await stranger.post(`${BASE}/teams/limits/applications`, application(deepArrays(4000)));
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('GANTRY_E_TOO_DEEP');
  });

  it('refuses deeply nested YAML, block and flow style, with the same code', async () => {
    for (const nested of [`${'- '.repeat(4000)}x`, deepArrays(4000)]) {
      const reply = await admin.post(
        `${BASE}/teams/limits/applications`,
        `apiVersion: gantry.dev/v1alpha1\nkind: Application\nmetadata: {name: deep, team: limits}\nspec:\n  components:\n  - name: web\n    type: webservice\n    properties:\n      x: ${nested.startsWith('[') ? nested : `\n        ${nested}`}\n`,
        'application/yaml',
      );
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('GANTRY_E_TOO_DEEP');
    }
  });

  it('refuses a YAML alias bomb with 400 GANTRY_E_YAML_ALIASES', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = `apiVersion: gantry.dev/v1alpha1\nkind: Team\nmetadata: {name: bomb}\nspec:\n  description: x\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
    for (const who of [admin, stranger]) {
      const reply = await who.post(`${BASE}/teams`, bomb, 'application/yaml');
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('GANTRY_E_YAML_ALIASES');
    }
  });

  it('still accepts ordinary nesting and a few aliases', async () => {
    const yaml = `apiVersion: gantry.dev/v1alpha1\nkind: Team\nmetadata:\n  name: aliased\n  labels: &l {tier: one}\n  annotations: *l\nspec: {}\n`;
    const aliased = await admin.post(`${BASE}/teams`, yaml, 'application/yaml');
    expect(aliased.status).toBe(201);
    expect(aliased.body.metadata.annotations).toEqual({ tier: 'one' });
    const ok = await admin.post(`${BASE}/teams/limits/applications?dryRun=All`, application(deepJson(50)));
    expect(ok.body.code).not.toBe('GANTRY_E_TOO_DEEP');
    expect(ok.status).toBeLessThan(500);
  });

  it('answers 415 GANTRY_E_UNSUPPORTED_MEDIA_TYPE for a body in another content type', async () => {
    const body = JSON.stringify(team('typed'));
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ]) {
      const reply = await admin.post(`${BASE}/teams`, body, type);
      expect(reply.status, type).toBe(415);
      expect(reply.body.code).toBe('GANTRY_E_UNSUPPORTED_MEDIA_TYPE');
    }
    expect((await admin.post(`${BASE}/teams`, body, 'application/json; charset=utf-8')).status).toBe(201);
  });

  it('refuses strings with NUL or a lone surrogate, naming the field, and bodies that are not UTF-8', async () => {
    const cases: [string, string][] = [
      [
        `{"apiVersion":"gantry.dev/v1alpha1","kind":"Team","metadata":{"name":"nul"},"spec":{"description":"a\\u0000b"}}`,
        '/spec/description',
      ],
      [
        `{"apiVersion":"gantry.dev/v1alpha1","kind":"Team","metadata":{"name":"nul","labels":{"a\\u0000":"b"}},"spec":{}}`,
        '/metadata/labels/a\u0000',
      ],
      [
        `{"apiVersion":"gantry.dev/v1alpha1","kind":"Team","metadata":{"name":"nul"},"spec":{"description":"\\ud800"}}`,
        '/spec/description',
      ],
    ];
    for (const [body, path] of cases) {
      const reply = await admin.post(`${BASE}/teams`, body);
      expect(reply.status, body).toBe(400);
      expect(reply.body.code).toBe('GANTRY_E_INVALID');
      expect(reply.body.details[0].path).toBe(path);
    }
    const yaml = await admin.post(
      `${BASE}/teams`,
      'apiVersion: gantry.dev/v1alpha1\nkind: Team\nmetadata: {name: nul}\nspec: {description: "a\\0b"}\n',
      'application/yaml',
    );
    expect(yaml.status).toBe(400);
    expect(yaml.body.details[0].path).toBe('/spec/description');
    for (const type of ['application/json', 'application/yaml']) {
      const raw = await fetch(`${server.url}${BASE}/teams`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': type },
        body: Buffer.concat([
          Buffer.from(
            '{"apiVersion":"gantry.dev/v1alpha1","kind":"Team","metadata":{"name":"latin"},"spec":{"description":"',
          ),
          Buffer.from([0xe9, 0xff]),
          Buffer.from('"}}'),
        ]),
      });
      expect(raw.status, type).toBe(400);
      expect(((await raw.json()) as { code: string }).code).toBe('GANTRY_E_MALFORMED');
    }
    expect((await admin.get(`${BASE}/teams/nul`)).status).toBe(404);
    expect((await admin.get(`${BASE}/teams/latin`)).status).toBe(404);
  });

  it('validates label keys and values as Kubernetes does, and limits how many there are', async () => {
    const labelled = (labels: Record<string, string>) => ({
      ...team('labelled'),
      metadata: { name: 'labelled', labels },
    });
    const bad: Record<string, string>[] = [
      { [`app-${'n'.repeat(60)}`]: 'x' },
      { [`${'p'.repeat(254)}/app`]: 'x' },
      { 'Example.com/app': 'x' },
      { '/app': 'x' },
      { app: 'v'.repeat(64) },
      { app: '-dash' },
      Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'x'])),
    ];
    for (const labels of bad) {
      const reply = await admin.post(`${BASE}/teams`, labelled(labels));
      expect(reply.status, JSON.stringify(labels).slice(0, 80)).toBe(400);
      expect(reply.body.code).toBe('GANTRY_E_INVALID');
      expect(reply.body.details[0].path).toMatch(/^\/metadata\/labels/);
    }
    const good = {
      [`${'p'.repeat(60)}.example.com/${'n'.repeat(63)}`]: 'v'.repeat(63),
      'app.kubernetes.io/name': 'web_1.0-x',
      empty: '',
      ...Object.fromEntries(Array.from({ length: 61 }, (_, i) => [`l${i}`, 'x'])),
    };
    expect((await admin.post(`${BASE}/teams`, labelled(good))).status).toBe(201);
  });
});
