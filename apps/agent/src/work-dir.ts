import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentCredentialGrant } from '@gantry/model';

/** The agent's credential as kept in its work dir (mode 0600). */
export interface StoredCredential {
  server: string;
  credential: string;
  credentialId: string;
  team: string;
  host: string;
  /** Server time when it was issued: rotation goes by the server's clock. */
  issuedAt: number;
  rotateAfterSeconds: number;
}

export const CREDENTIAL_FILE = 'credential.json';

/** Writes a file whole or not at all (temp file, fsync, rename), readable by its owner only. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

export async function ensureWorkDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export async function readCredential(dir: string): Promise<StoredCredential | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, CREDENTIAL_FILE), 'utf8')) as StoredCredential;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeCredential(
  dir: string,
  server: string,
  grant: AgentCredentialGrant,
): Promise<StoredCredential> {
  const stored: StoredCredential = {
    server,
    credential: grant.credential,
    credentialId: grant.credentialId,
    team: grant.team,
    host: grant.host,
    issuedAt: grant.serverTime,
    rotateAfterSeconds: grant.rotateAfterSeconds,
  };
  await writeFileAtomic(join(dir, CREDENTIAL_FILE), `${JSON.stringify(stored, null, 2)}\n`);
  return stored;
}
