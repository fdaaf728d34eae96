import type { FieldChange } from '@gantry/client';
import type { DiffLine } from './json-diff';

/**
 * A server diff's field changes as the console's diff lines. The server names the operation; `add` and
 * `remove` (JSON Patch's words) keep theirs, `replace` shows before → after.
 */
export function objectDiffLines(changes: readonly FieldChange[]): DiffLine[] {
  return changes.map((change): DiffLine => {
    const op = typeof change.op === 'string' ? change.op.toLowerCase() : '';
    if (op === 'add' || (op !== 'remove' && change.before === undefined && change.after !== undefined))
      return { op: 'add', path: change.path, after: change.after };
    if (op === 'remove' || (change.after === undefined && change.before !== undefined))
      return { op: 'remove', path: change.path, before: change.before };
    return { op: 'change', path: change.path, before: change.before, after: change.after };
  });
}
