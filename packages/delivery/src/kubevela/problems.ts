import type { ErrorDetail } from '@gantry/model';

/**
 * What a conversion found, collected rather than thrown so that one answer names every field that
 * cannot be converted. Paths are JSON pointers into the KubeVela document as written.
 */
export class ConversionProblems {
  readonly errors: ErrorDetail[] = [];
  readonly notes: string[] = [];
  readonly #seen = new Set<string>();

  /** The same field reached twice (an override matching several components of a type) is reported once. */
  error(path: string, message: string): void {
    const key = `${path}\u0000${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.errors.push({ path, message });
  }

  note(message: string): void {
    if (this.notes.includes(message)) return;
    this.notes.push(message);
  }
}

/** `pointer('/spec/components', 0, 'properties')` → `/spec/components/0/properties`, escaping `~` and `/` (RFC 6901). */
export function pointer(base: string, ...segments: readonly (string | number)[]): string {
  return (
    base +
    segments.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
  );
}
