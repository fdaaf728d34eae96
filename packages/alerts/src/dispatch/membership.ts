/**
 * Which aggregation groups hold each alert (by fingerprint and group id). Most alerts are in one group, so
 * that one is kept as the group's id itself (a string the group holds anyway); a Set only for an alert in
 * several. With 100,000 alerts held, a Set per alert was about 15 MB of the dispatcher's heap.
 */
export class Membership {
  readonly #of = new Map<string, string | Set<string>>();

  /** The ids of the groups that hold the alert. */
  groups(fingerprint: string): readonly string[] {
    const held = this.#of.get(fingerprint);
    return held === undefined ? [] : typeof held === 'string' ? [held] : [...held];
  }

  /** How many groups hold the alert. */
  count(fingerprint: string): number {
    const held = this.#of.get(fingerprint);
    return held === undefined ? 0 : typeof held === 'string' ? 1 : held.size;
  }

  add(fingerprint: string, id: string): void {
    const held = this.#of.get(fingerprint);
    if (held === undefined) this.#of.set(fingerprint, id);
    else if (typeof held === 'string') {
      if (held !== id) this.#of.set(fingerprint, new Set([held, id]));
    } else held.add(id);
  }

  /** Takes the alert out of one group; answers how many groups still hold it (0: it is forgotten). */
  remove(fingerprint: string, id: string): number {
    const held = this.#of.get(fingerprint);
    if (held === undefined) return 0;
    if (typeof held === 'string') {
      if (held !== id) return 1;
      this.#of.delete(fingerprint);
      return 0;
    }
    held.delete(id);
    if (held.size === 1) this.#of.set(fingerprint, held.values().next().value!);
    if (held.size === 0) this.#of.delete(fingerprint);
    return held.size;
  }

  delete(fingerprint: string): void {
    this.#of.delete(fingerprint);
  }

  clear(): void {
    this.#of.clear();
  }
}
