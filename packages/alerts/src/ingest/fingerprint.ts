import type { LabelSet } from '../matchers.ts';

const SEPARATOR = 0xff;
const encoder = new TextEncoder();

/**
 * Alertmanager's fingerprint of a label set (Prometheus' `LabelSet.Fingerprint`): FNV-1a 64 over the
 * label names in sorted order, each name and value as UTF-8 followed by a 0xff byte, written as 16 hex
 * digits. Computed on two 32-bit halves: the FNV prime 2^40 + 0x1b3 multiplies as a shift and a small
 * product, which keeps every step within a double's exact integers.
 */
export function fingerprint(labels: LabelSet): string {
  // The FNV-1a 64 offset basis 0xcbf29ce484222325.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const step = (byte: number) => {
    lo = (lo ^ byte) >>> 0;
    const low = lo * 0x1b3;
    const carry = Math.floor(low / 0x1_0000_0000);
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = low >>> 0;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const byte of encoder.encode(name)) step(byte);
    step(SEPARATOR);
    for (const byte of encoder.encode(labels[name]!)) step(byte);
    step(SEPARATOR);
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
