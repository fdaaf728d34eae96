import { isCelList, isCelMap, isCelUint, type CelValue } from '@bufbuild/cel';
import { isReflectMessage } from '@bufbuild/protobuf/reflect';

/** A plain JSON value, as Kubernetes objects are made of. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonConversion = { ok: true; value: JsonValue } | { ok: false; message: string };

/**
 * Converts a CEL result to JSON. int/uint become numbers only when exactly representable; bytes, types and
 * messages other than Timestamp and Duration have no JSON form and are refused.
 */
export function celToJson(value: CelValue): JsonConversion {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? { ok: true, value }
      : { ok: false, message: `${value} is not a JSON number` };
  }
  if (typeof value === 'bigint') return integer(value, 'int');
  if (isCelUint(value)) return integer(value.value, 'uint');
  if (value instanceof Uint8Array) return { ok: false, message: 'bytes have no JSON form; use string(...)' };
  if (isCelList(value)) {
    const out: JsonValue[] = [];
    for (const element of value) {
      const converted = celToJson(element);
      if (!converted.ok) return converted;
      out.push(converted.value);
    }
    return { ok: true, value: out };
  }
  if (isCelMap(value)) {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, entry] of value) {
      if (typeof key !== 'string') return { ok: false, message: `map key ${String(key)} is not a string` };
      const converted = celToJson(entry);
      if (!converted.ok) return converted;
      out[key] = converted.value;
    }
    return { ok: true, value: out };
  }
  if (isReflectMessage(value)) {
    const typeName = value.desc.typeName;
    const message = value.message as { seconds?: unknown; nanos?: unknown };
    const seconds = typeof message.seconds === 'bigint' ? message.seconds : 0n;
    const nanos = typeof message.nanos === 'number' ? message.nanos : 0;
    if (typeName === 'google.protobuf.Timestamp') return { ok: true, value: formatTimestamp(seconds, nanos) };
    if (typeName === 'google.protobuf.Duration') return { ok: true, value: formatDuration(seconds, nanos) };
    return { ok: false, message: `a ${typeName} message has no JSON form here` };
  }
  return { ok: false, message: 'a CEL type value has no JSON form' };
}

function integer(value: bigint, kind: 'int' | 'uint'): JsonConversion {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    return {
      ok: false,
      message: `${kind} ${value} is outside the range JSON numbers hold exactly (±2^53-1)`,
    };
  }
  return { ok: true, value: Number(value) };
}

/** RFC 3339 in UTC, with the fraction trimmed as Go's RFC3339Nano does (`2024-01-01T00:00:00.5Z`). */
export function formatTimestamp(seconds: bigint, nanos: number): string {
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const fraction = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${fraction}Z`;
}

/** Go's time.Duration.String(): `1h30m0s`, `1.5s`, `250ms`, `0s`. */
export function formatDuration(seconds: bigint, nanos: number): string {
  let total = seconds * 1_000_000_000n + BigInt(nanos);
  if (total === 0n) return '0s';
  const sign = total < 0n ? '-' : '';
  if (total < 0n) total = -total;
  if (total < 1_000_000_000n) {
    const [unit, size] =
      total < 1_000n ? ['ns', 1n] : total < 1_000_000n ? ['µs', 1_000n] : (['ms', 1_000_000n] as const);
    return `${sign}${decimal(total, size)}${unit}`;
  }
  const hours = total / 3_600_000_000_000n;
  const minutes = (total / 60_000_000_000n) % 60n;
  const rest = total % 60_000_000_000n;
  let out = sign;
  if (hours > 0n) out += `${hours}h`;
  if (hours > 0n || minutes > 0n) out += `${minutes}m`;
  return `${out}${decimal(rest, 1_000_000_000n)}s`;
}

function decimal(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const fraction = value % unit;
  if (fraction === 0n) return whole.toString();
  const digits = unit.toString().length - 1;
  return `${whole}.${fraction.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}
