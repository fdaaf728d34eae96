import type { LabelSet } from '../matchers.ts';

const SEPARATOR = 0xff;
const encoder = new TextEncoder();

/**
 * Alertmanager's fingerprint of a label set (Prometheus' `LabelSet.Fingerprint`): FNV-1a 64 over the
 * label names in sorted order, each name and value as UTF-8 followed by a 0xff byte, written as 16 hex
 * digits. Computed on two 32-bit halves: the FNV prime 2^40 + 0x1b3 multiplies as a shift and a small
 * product, which keeps every step within a double's exact integers. ASCII strings (nearly all labels)
 * are hashed from their char codes; others through their UTF-8 bytes.
 */
export function fingerprint(labels: LabelSet): string {
  const state = { hi: 0xcbf29ce4, lo: 0x84222325 };
  for (const name of Object.keys(labels).sort()) {
    addString(state, name);
    addByte(state, SEPARATOR);
    addString(state, labels[name]!);
    addByte(state, SEPARATOR);
  }
  return state.hi.toString(16).padStart(8, '0') + state.lo.toString(16).padStart(8, '0');
}

interface Fnv {
  hi: number;
  lo: number;
}

function addByte(state: Fnv, byte: number): void {
  const lo = (state.lo ^ byte) >>> 0;
  const low = lo * 0x1b3;
  state.hi = (state.hi * 0x1b3 + Math.floor(low / 0x1_0000_0000) + ((lo << 8) >>> 0)) >>> 0;
  state.lo = low >>> 0;
}

function addString(state: Fnv, text: string): void {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      for (const byte of encoder.encode(text)) addByte(state, byte);
      return;
    }
  }
  for (let i = 0; i < text.length; i++) addByte(state, text.charCodeAt(i));
}
