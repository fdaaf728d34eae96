import { describe, expect, it } from 'vitest';
import { objectDiffLines } from './delivery-diff';

describe('objectDiffLines', () => {
  it('reads JSON Patch operations and before/after pairs', () => {
    expect(
      objectDiffLines([
        { path: '/spec/replicas', op: 'replace', before: 1, after: 3 },
        { path: '/metadata/labels/tier', op: 'add', after: 'web' },
        { path: '/spec/template/spec/containers/0/args', op: 'remove', before: ['-v'] },
        { path: '/data/key', op: 'replace', after: 'x' },
      ]),
    ).toEqual([
      { op: 'change', path: '/spec/replicas', before: 1, after: 3 },
      { op: 'add', path: '/metadata/labels/tier', after: 'web' },
      { op: 'remove', path: '/spec/template/spec/containers/0/args', before: ['-v'] },
      { op: 'add', path: '/data/key', after: 'x' },
    ]);
  });
});
