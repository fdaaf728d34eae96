/**
 * Keys ordered by the time they fall due, earliest first (a binary heap): what is due is taken without
 * visiting what is not. A key set again moves; its older entry stays in the heap and is skipped when it
 * comes up, and the heap is rebuilt once such entries outnumber the live ones (twice over). Keys due at the same time
 * come out in the order they were set.
 */
export class DueQueue<K> {
  /** Each key's time and the order of its live entry. */
  readonly #due = new Map<K, { at: number; order: number }>();
  #heap: Entry<K>[] = [];
  #order = 0;

  get size(): number {
    return this.#due.size;
  }

  /** `key` falls due at `at` (never, when it is not finite: it is only held). */
  set(key: K, at: number): void {
    if (this.#due.get(key)?.at === at) return;
    const entry = { at, order: this.#order++, key };
    this.#due.set(key, entry);
    if (Number.isFinite(at)) this.#push(entry);
    this.#compactIfStale();
  }

  delete(key: K): void {
    if (this.#due.delete(key)) this.#compactIfStale();
  }

  /** The earliest time a key falls due, or undefined when none will. */
  next(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.at;
  }

  /** Removes and returns the keys due at or before `now`, earliest first. */
  takeDue(now: number): K[] {
    const taken: K[] = [];
    for (;;) {
      this.#dropStale();
      const top = this.#heap[0];
      if (!top || top.at > now) return taken;
      this.#pop();
      this.#due.delete(top.key);
      taken.push(top.key);
    }
  }

  #live(entry: Entry<K>): boolean {
    return this.#due.get(entry.key)?.order === entry.order;
  }

  #dropStale(): void {
    while (this.#heap.length > 0 && !this.#live(this.#heap[0]!)) this.#pop();
  }

  #compactIfStale(): void {
    if (this.#heap.length <= 64 || this.#heap.length <= 2 * this.#due.size) return;
    // Sorted, so already a heap.
    this.#heap = this.#heap.filter((entry) => this.#live(entry)).sort(compare);
  }

  #push(entry: Entry<K>): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(heap[parent]!, entry) <= 0) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && compare(heap[right]!, heap[left]!) < 0 ? right : left;
      if (compare(last, heap[child]!) <= 0) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

interface Entry<K> {
  at: number;
  order: number;
  key: K;
}

function compare<K>(a: Entry<K>, b: Entry<K>): number {
  return a.at - b.at || a.order - b.order;
}
