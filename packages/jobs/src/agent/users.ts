import { readFileSync } from 'node:fs';

export interface HostUser {
  name: string;
  uid: number;
  gid: number;
}

/** Looks a user up in the passwd file (names only; no NSS), for running a job as that user. */
export function lookupUser(name: string, passwdPath = '/etc/passwd'): HostUser | undefined {
  let text: string;
  try {
    text = readFileSync(passwdPath, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}
