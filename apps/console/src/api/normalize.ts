/**
 * Small readers for JSON bodies. The API reference fixes the list shape for resources; for the identity
 * and audit endpoints it names the fields, and these helpers keep the console tolerant of an envelope
 * (`{items}`) versus a bare array.
 */
export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function itemsOf(body: unknown, ...keys: string[]): unknown[] {
  if (Array.isArray(body)) return body;
  if (!isRecord(body)) return [];
  for (const key of ['items', ...keys]) {
    const value = body[key];
    if (Array.isArray(value)) return value;
  }
  return [];
}

export function continueOf(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const direct = body['continue'];
  if (typeof direct === 'string' && direct) return direct;
  const metadata = body['metadata'];
  if (isRecord(metadata) && typeof metadata['continue'] === 'string' && metadata['continue']) {
    return metadata['continue'];
  }
  return undefined;
}

export function str(record: JsonRecord, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

export function bool(record: JsonRecord, key: string): boolean {
  return record[key] === true;
}
