import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('security headers', () => {
  let server: TestServer;
  const consoleDir = mkdtempSync(join(tmpdir(), 'gantry-console-'));

  beforeAll(async () => {
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>console</title>');
    server = await startTestServer({ config: { consoleDir } });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(consoleDir, { recursive: true, force: true });
  });

  it('serves the console, its client-side routes and the API with CSP, framing, sniffing and referrer rules', async () => {
    for (const path of [
      '/',
      '/index.html',
      '/teams/payments',
      '/api/me',
      '/apis/gantry.dev/v1alpha1/nothing',
      '/healthz',
    ]) {
      const response = await fetch(`${server.url}${path}`, {
        headers: path.startsWith('/api') ? { authorization: `Bearer ${server.adminToken}` } : {},
      });
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});
