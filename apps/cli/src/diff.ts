type Edit = { op: ' ' | '-' | '+'; line: string };

/** Above this many cells the middle is shown as replaced wholesale rather than diffed line by line. */
const MAX_LCS_CELLS = 25_000_000;

/**
 * A unified diff (`diff -u` format) between two texts, or '' when they are equal. `context` lines of
 * unchanged text surround each change, as in `diff -U3`.
 */
export function unifiedDiff(
  oldText: string,
  newText: string,
  labels: { old: string; new: string },
  context = 3,
): string {
  if (oldText === newText) return '';
  const edits = diffLines(splitLines(oldText), splitLines(newText));
  const hunks = toHunks(edits, context);
  if (hunks.length === 0) return '';
  return [`--- ${labels.old}`, `+++ ${labels.new}`, ...hunks].join('\n') + '\n';
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Longest-common-subsequence diff, after trimming the common head and tail (usually most of it). */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const edits: Edit[] = a.slice(0, head).map((line) => ({ op: ' ', line }));
  edits.push(...diffMiddle(midA, midB));
  edits.push(...a.slice(a.length - tail).map((line): Edit => ({ op: ' ', line })));
  return edits;
}

function diffMiddle(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || (n + 1) * (m + 1) > MAX_LCS_CELLS) {
    return [...a.map((line): Edit => ({ op: '-', line })), ...b.map((line): Edit => ({ op: '+', line }))];
  }
  // lengths[i * (m + 1) + j] = LCS length of a[i..] and b[j..]
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? (lengths[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lengths[(i + 1) * width + j] ?? 0, lengths[i * width + j + 1] ?? 0);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      edits.push({ op: ' ', line: a[i] as string });
      i++;
      j++;
    } else if ((lengths[(i + 1) * width + j] ?? 0) >= (lengths[i * width + j + 1] ?? 0)) {
      edits.push({ op: '-', line: a[i] as string });
      i++;
    } else {
      edits.push({ op: '+', line: b[j] as string });
      j++;
    }
  }
  for (; i < n; i++) edits.push({ op: '-', line: a[i] as string });
  for (; j < m; j++) edits.push({ op: '+', line: b[j] as string });
  return edits;
}

function toHunks(edits: readonly Edit[], context: number): string[] {
  const hunks: string[] = [];
  const changed = edits.map((e, index) => (e.op === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return hunks;
  // Line numbers before each edit, to compute hunk starts.
  const oldBefore: number[] = [];
  const newBefore: number[] = [];
  let oldLine = 0;
  let newLine = 0;
  for (const edit of edits) {
    oldBefore.push(oldLine);
    newBefore.push(newLine);
    if (edit.op !== '+') oldLine++;
    if (edit.op !== '-') newLine++;
  }
  let groupStart = changed[0] as number;
  let groupEnd = groupStart;
  const groups: [number, number][] = [];
  for (const index of changed.slice(1)) {
    if (index - groupEnd > 2 * context) {
      groups.push([groupStart, groupEnd]);
      groupStart = index;
    }
    groupEnd = index;
  }
  groups.push([groupStart, groupEnd]);
  for (const [first, last] of groups) {
    const from = Math.max(0, first - context);
    const to = Math.min(edits.length - 1, last + context);
    const slice = edits.slice(from, to + 1);
    const oldCount = slice.filter((e) => e.op !== '+').length;
    const newCount = slice.filter((e) => e.op !== '-').length;
    const oldStart = (oldBefore[from] ?? 0) + (oldCount > 0 ? 1 : 0);
    const newStart = (newBefore[from] ?? 0) + (newCount > 0 ? 1 : 0);
    hunks.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    hunks.push(...slice.map((e) => `${e.op}${e.line}`));
  }
  return hunks;
}

function range(start: number, count: number): string {
  return count === 1 ? String(start) : `${start},${count}`;
}
