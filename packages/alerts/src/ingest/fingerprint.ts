import type { LabelSet } from '../matchers.ts';

const SEPARATOR = 0xff;
const encoder = new TextEncoder();
/** The char codes of the 16 hex digits. */
const HEX = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));
/** The char codes of the fingerprint being written (one array, reused). */
const CODES: number[] = new Array<number>(16).fill(0);

/**
 * Alertmanager's fingerprint of a label set (Prometheus' `LabelSet.Fingerprint`): FNV-1a 64 over the
 * label names in sorted order, each name and value as UTF-8 followed by a 0xff byte, written as 16 hex
 * digits.
 *
 * The 64-bit state is four 16-bit limbs in local variables (ADR 0038: the ingest computes one per alert,
 * and a state object written per byte cost twice as much). The FNV prime is 2^40 + 0x1b3, so a step is
 * each limb times 0x1b3 with the carries moved up, plus the state shifted left by 40 bits: limb 0 lands
 * 8 bits into limb 2 and limb 1 8 bits into limb 3 (what goes past 64 bits is dropped). Every
 * intermediate stays below 2^31. ASCII strings (nearly all labels) are hashed from their char codes;
 * others through their UTF-8 bytes.
 */
export function fingerprint(labels: LabelSet): string {
  // The offset basis 0xcbf29ce484222325, least significant limb first.
  let a0 = 0x2325;
  let a1 = 0x8422;
  let a2 = 0x9ce4;
  let a3 = 0xcbf2;
  const names = Object.keys(labels).sort();
  for (let n = 0; n < names.length * 2; n++) {
    const text = n % 2 === 0 ? names[n >> 1]! : labels[names[n >> 1]!]!;
    const bytes = isAscii(text) ? undefined : encoder.encode(text);
    const length = bytes ? bytes.length : text.length;
    // Each byte of the string, then the separator (i === length).
    for (let i = 0; i <= length; i++) {
      a0 ^= i === length ? SEPARATOR : bytes ? bytes[i]! : text.charCodeAt(i);
      const t0 = a0 * 0x1b3;
      const t1 = a1 * 0x1b3 + (t0 >>> 16);
      const t2 = a2 * 0x1b3 + (t1 >>> 16) + (a0 << 8);
      const t3 = a3 * 0x1b3 + (t2 >>> 16) + (a1 << 8);
      a0 = t0 & 0xffff;
      a1 = t1 & 0xffff;
      a2 = t2 & 0xffff;
      a3 = t3 & 0xffff;
    }
  }
  // One flat string (not four joined): it is a key of maps all along the pipeline, hashed and compared.
  putHex(a3, 0);
  putHex(a2, 4);
  putHex(a1, 8);
  putHex(a0, 12);
  return String.fromCharCode.apply(null, CODES);
}

/** The four hex digits of a 16-bit limb into `CODES` from `at`. */
function putHex(limb: number, at: number): void {
  for (let shift = 12; shift >= 0; shift -= 4) CODES[at++] = HEX[(limb >> shift) & 15]!;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}
