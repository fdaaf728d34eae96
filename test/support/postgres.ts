import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL suite needs a server; `.ci/run` starts one and sets this variable. */
export function postgresUrl(): string {
  const url = process.env.GANTRY_TEST_POSTGRES_URL;
  if (!url) {
    throw new Error(
      'GANTRY_TEST_POSTGRES_URL is not set: the postgres suite needs a PostgreSQL server (see .ci/run, or run `npm run test:pg` after starting one)',
    );
  }
  return url;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database on the test server, so each file starts empty; `drop()` removes it. */
export async function createScratchDatabase(prefix = 'gantry_test'): Promise<ScratchDatabase> {
  const adminUrl = postgresUrl();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
