import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import type { HostDisk, HostFacts } from '@gantry/model';

/** File systems whose usage is worth reporting (not proc, tmpfs, overlay layers, ...). */
const DISK_TYPES = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'zfs',
  'f2fs',
  'vfat',
  'jfs',
  'reiserfs',
  'ntfs',
]);

export async function osName(): Promise<string> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    if (match?.[1]) return match[1].slice(0, 200);
  } catch {
    // Not Linux, or a minimal image: the kernel's name will do.
  }
  return `${os.type()} ${os.release()}`.slice(0, 200);
}

/** Mounted block-device file systems and their usage, from /proc/mounts (Linux); [] elsewhere. */
export async function disks(): Promise<HostDisk[]> {
  let mounts: string;
  try {
    mounts = await readFile('/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const out: HostDisk[] = [];
  for (const line of mounts.split('\n')) {
    const [device, mount, filesystem] = line.split(' ');
    if (!device || !mount || !filesystem || !DISK_TYPES.has(filesystem) || seen.has(device)) continue;
    seen.add(device);
    try {
      const stats = await statfs(mount.replace(/\\040/g, ' '));
      const sizeBytes = stats.blocks * stats.bsize;
      out.push({ mount, filesystem, sizeBytes, usedBytes: sizeBytes - stats.bfree * stats.bsize });
    } catch {
      // A mount we may not read: left out.
    }
    if (out.length === 50) break;
  }
  return out;
}

export function addresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces()))
    for (const address of list ?? []) if (!address.internal) out.push(address.address);
  return out.slice(0, 100);
}

/** What the agent reports about its machine. */
export async function collectFacts(): Promise<HostFacts> {
  return {
    hostname: os.hostname().slice(0, 253),
    os: await osName(),
    platform: os.platform(),
    arch: os.arch(),
    kernel: os.release().slice(0, 200),
    cpus: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    disks: await disks(),
    addresses: addresses(),
    uptimeSeconds: Math.round(os.uptime()),
  };
}
