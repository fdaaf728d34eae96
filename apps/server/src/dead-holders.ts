import { hostname } from 'node:os';
import type { LeaseRepository } from '@gantry/store';

/** Whether a process of this host is running (`EPERM`: it is, as another user). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Frees the leases held by a server process of this host that is gone — a server killed and started again
 * (SIGKILL, OOM, a crash) finds its predecessor's leases, named `<host>-<pid>` when no instance id is
 * configured. A dead process holds nothing, so the new one need not wait for them to expire: it takes
 * them on its first attempt. Holders of other hosts, configured instance ids and live processes are left
 * alone (their expiry still governs). Answers the names of the leases it freed.
 */
export async function releaseDeadLocalHolders(
  leases: Pick<LeaseRepository, 'list' | 'release'>,
  options: { host?: string; self?: number; alive?: (pid: number) => boolean } = {},
): Promise<string[]> {
  const host = options.host ?? hostname();
  const self = options.self ?? process.pid;
  const alive = options.alive ?? processIsAlive;
  const prefix = `${host}-`;
  const freed: string[] = [];
  for (const lease of await leases.list()) {
    if (!lease.holder.startsWith(prefix)) continue;
    const pid = lease.holder.slice(prefix.length);
    if (!/^[1-9]\d{0,9}$/.test(pid) || Number(pid) === self || alive(Number(pid))) continue;
    await leases.release(lease.name, lease.holder);
    freed.push(lease.name);
  }
  return freed;
}
