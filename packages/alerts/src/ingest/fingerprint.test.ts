import { describe, expect, it } from 'vitest';
import { fingerprint } from './fingerprint.ts';

/** The same function over BigInt, written straight from the FNV-1a definition. */
function reference(labels: Record<string, string>): string {
  let hash = 0xcbf29ce484222325n;
  const add = (byte: number) => {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const byte of Buffer.from(name)) add(byte);
    add(0xff);
    for (const byte of Buffer.from(labels[name]!)) add(byte);
    add(0xff);
  }
  return hash.toString(16).padStart(16, '0');
}

describe('fingerprint', () => {
  it('is the FNV-1a 64 offset basis for no labels', () => {
    expect(fingerprint({})).toBe('cbf29ce484222325');
  });

  it('does not depend on the order labels are given in', () => {
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ a: '1', b: '2' })).not.toBe(fingerprint({ a: '2', b: '1' }));
  });

  it('agrees with a BigInt FNV-1a over many label sets, Unicode included', () => {
    const sets: Record<string, string>[] = [
      { alertname: 'Down' },
      { alertname: 'HighLatency', severity: 'page', instance: 'web-1:9100', job: 'node' },
      { alertname: 'Ünïcødé', namespace: '日本語', value: '🔥' },
      { alertname: 'x'.repeat(1000), empty: '' },
      // Not ASCII only after some characters: hashed again from its UTF-8 bytes.
      { alertname: 'Disk on café-1 full', zone: 'eu-🔥' },
      // More names than are sorted by insertion, given in reverse order.
      Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`l${String(19 - i).padStart(2, '0')}`, `${i}`]),
      ),
    ];
    for (let i = 0; i < 200; i++) sets.push({ alertname: `A${i}`, n: String(i * 7919), team: 'ops' });
    for (const labels of sets) expect(fingerprint(labels)).toBe(reference(labels));
  });
});
