import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KindDefinition } from '@gantry/model';
import { resolveConfig, startServer, type Config, type RunningServer } from '../../apps/server/src/index.ts';

export interface TestServer {
  url: string;
  adminUsername: string;
  adminPassword: string;
  /** A session token for admin. */
  adminToken: string;
  server: RunningServer;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** `postgres://...`; default SQLite in a throwaway data dir. */
  databaseUrl?: string;
  config?: Partial<Config>;
  now?: () => number;
  extraKinds?: readonly KindDefinition[];
}

export const TEST_ADMIN_PASSWORD = 'test-admin-password';

/** Boots a real Gantry server in-process on 127.0.0.1 with its own data dir; `close()` removes it all. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-test-'));
  const config = resolveConfig(
    {},
    {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      adminPassword: TEST_ADMIN_PASSWORD,
      logLevel: 'silent',
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      ...options.config,
    },
  );
  const server = await startServer(config, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.extraKinds ? { extraKinds: options.extraKinds } : {}),
  });
  try {
    const response = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    if (!response.ok) throw new Error(`test admin login failed: ${response.status} ${await response.text()}`);
    const { token } = (await response.json()) as { token: string };
    return {
      url: server.url,
      adminUsername: 'admin',
      adminPassword: TEST_ADMIN_PASSWORD,
      adminToken: token,
      server,
      close: async () => {
        await server.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}
