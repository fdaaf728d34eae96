import { describe, expect, it } from 'vitest';
import { diffLines, unifiedDiff } from './diff.ts';

const labels = { old: 'live/team/a', new: 'merged/team/a' };
const lines = (n: number, change?: [number, string]): string =>
  Array.from({ length: n }, (_, i) => (change && change[0] === i + 1 ? change[1] : `line ${i + 1}`)).join(
    '\n',
  ) + '\n';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', labels)).toBe('');
  });

  it('shows a changed line with three lines of context and a correct hunk header', () => {
    expect(unifiedDiff(lines(10), lines(10, [5, 'changed']), labels)).toBe(
      [
        '--- live/team/a',
        '+++ merged/team/a',
        '@@ -2,7 +2,7 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+changed',
        ' line 6',
        ' line 7',
        ' line 8',
        '',
      ].join('\n'),
    );
  });

  it('splits distant changes into separate hunks and merges close ones', () => {
    const a = lines(30);
    const far = a.replace('line 3\n', 'three\n').replace('line 25\n', 'twenty-five\n');
    expect(unifiedDiff(a, far, labels).match(/^@@.*@@$/gm)).toEqual(['@@ -1,6 +1,6 @@', '@@ -22,7 +22,7 @@']);
    const near = a.replace('line 3\n', 'three\n').replace('line 8\n', 'eight\n');
    expect(unifiedDiff(a, near, labels).match(/^@@.*@@$/gm)).toEqual(['@@ -1,11 +1,11 @@']);
  });

  it('shows a new object as all additions, like diff -N', () => {
    expect(unifiedDiff('', 'a\nb\n', labels)).toBe(
      '--- live/team/a\n+++ merged/team/a\n@@ -0,0 +1,2 @@\n+a\n+b\n',
    );
  });

  it('handles insertions and deletions inside a text', () => {
    const text = unifiedDiff('a\nb\nc\n', 'a\nc\nd\n', labels);
    expect(text).toBe('--- live/team/a\n+++ merged/team/a\n@@ -1,3 +1,3 @@\n a\n-b\n c\n+d\n');
  });
});

describe('diffLines', () => {
  it('finds a longest common subsequence', () => {
    const edits = diffLines(['a', 'b', 'c', 'd'], ['b', 'x', 'd']);
    expect(edits.map((e) => `${e.op}${e.line}`)).toEqual(['-a', ' b', '-c', '+x', ' d']);
  });
});
