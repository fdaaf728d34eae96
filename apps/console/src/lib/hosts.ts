import type { Host, HostFacts, HostStatus } from '@gantry/client';
import { formatAge } from './format';

export const hostsPath = '/hosts';

export function hostPath(team: string, name: string): string {
  return `${hostsPath}/teams/${encodeURIComponent(team)}/${encodeURIComponent(name)}`;
}

export const hostStatusColors: Record<HostStatus, string> = {
  Online: 'success',
  Offline: 'error',
  Unknown: 'default',
};

/** "Online", "Offline for 2h", "Unknown": the status with how long it has held when that matters. */
export function hostStatusText(host: Pick<Host, 'status' | 'statusSince'>, now = Date.now()): string {
  return host.status === 'Offline' ? `Offline for ${formatAge(host.statusSince, now)}` : host.status;
}

/** 1536 → "1.5 KiB"; binary units, one decimal below 10. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** All disks together: used and size, and the used share in percent (0 without disks). */
export function diskUsage(facts: Pick<HostFacts, 'disks'>): { used: number; size: number; percent: number } {
  let used = 0;
  let size = 0;
  for (const disk of facts.disks) {
    used += disk.usedBytes;
    size += disk.sizeBytes;
  }
  return { used, size, percent: size > 0 ? Math.round((used / size) * 100) : 0 };
}

/** The `gantry agent` command line that joins a machine with a new token. */
export function agentCommand(serverUrl: string, token: string): string {
  return `gantry agent --server ${serverUrl} --join-token ${token}`;
}
