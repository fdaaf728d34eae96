import { describe, expect, it } from 'vitest';
import { agentCommand, diskUsage, formatBytes, hostPath, hostStatusText } from './hosts';

describe('host formatting', () => {
  it('says how long a host has been offline, and nothing more for the other states', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    expect(hostStatusText({ status: 'Offline', statusSince: '2026-12-02T10:00:00Z' }, now)).toBe(
      'Offline for 2h',
    );
    expect(hostStatusText({ status: 'Online', statusSince: '2026-12-02T10:00:00Z' }, now)).toBe('Online');
    expect(hostStatusText({ status: 'Unknown', statusSince: '2026-12-02T10:00:00Z' }, now)).toBe('Unknown');
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(16 * 1024 ** 3)).toBe('16 GiB');
  });

  it('sums disk usage over every disk', () => {
    const disk = (sizeBytes: number, usedBytes: number) => ({
      mount: '/',
      filesystem: 'ext4',
      sizeBytes,
      usedBytes,
    });
    expect(diskUsage({ disks: [disk(100, 25), disk(300, 75)] })).toEqual({
      used: 100,
      size: 400,
      percent: 25,
    });
    expect(diskUsage({ disks: [] })).toEqual({ used: 0, size: 0, percent: 0 });
  });

  it('builds paths and the agent command line', () => {
    expect(hostPath('ops', 'web 1')).toBe('/hosts/teams/ops/web%201');
    expect(agentCommand('https://gantry.example', 'abc.def')).toBe(
      'gantry agent --server https://gantry.example --join-token abc.def',
    );
  });
});
