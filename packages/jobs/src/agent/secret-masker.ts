/** What a secret's value is replaced with in a job's output. */
export const MASK = '****';

/**
 * Replaces secret values in a stream of text that arrives in pieces. A value may be cut across two
 * pieces, so the last (longest value − 1) characters are held back until the next piece or the end.
 */
export class SecretMasker {
  readonly #values: string[];
  readonly #holdBack: number;
  #pending = '';

  constructor(values: readonly string[]) {
    // Longest first, so that a value containing another is masked whole. Very short values would mask
    // half the output; one character is never treated as a secret.
    this.#values = [...new Set(values.filter((value) => value.length > 1))].sort(
      (a, b) => b.length - a.length,
    );
    this.#holdBack = Math.max(0, ...this.#values.map((value) => value.length - 1));
  }

  /** Masks `text` appended to what was held back; returns what is safe to emit now. */
  push(text: string): string {
    if (this.#values.length === 0) return text;
    const masked = this.#mask(this.#pending + text);
    const cut = Math.max(0, masked.length - this.#holdBack);
    this.#pending = masked.slice(cut);
    return masked.slice(0, cut);
  }

  /** The rest, at the end of the stream. */
  end(): string {
    const rest = this.#mask(this.#pending);
    this.#pending = '';
    return rest;
  }

  #mask(text: string): string {
    let out = text;
    for (const value of this.#values) if (out.includes(value)) out = out.split(value).join(MASK);
    return out;
  }
}
