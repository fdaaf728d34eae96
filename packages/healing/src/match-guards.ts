import { parse } from '@bufbuild/cel';

type Expr = NonNullable<ReturnType<typeof parse>['expr']>;

/**
 * A test a trigger must pass for a policy's match CEL to be true, read off the expression: one of its
 * top-level `&&` operands that compares a field of the trigger with string literals. A trigger that fails
 * it cannot match (the operand is false, or an error for a missing field, and a false or erring operand
 * makes the whole `&&` not true), so the index skips the CEL evaluation. Anything else is left to the CEL.
 */
export interface MatchGuard {
  /** Field names from the trigger variable down: `['title']` for `exception.title`. */
  path: string[];
  test: { equals: ReadonlySet<string> } | { prefix: string } | { contains: string };
}

/** The guards of a match expression over `variable` (`exception`, `alert`, `risk`); none when unsure. */
export function matchGuards(source: string, variable: string): MatchGuard[] {
  let root: Expr | undefined;
  try {
    root = parse(source).expr;
  } catch {
    return [];
  }
  const guards: MatchGuard[] = [];
  for (const operand of conjuncts(root)) {
    const guard = guardOf(operand, variable);
    if (guard) guards.push(guard);
  }
  return guards;
}

/** Whether a trigger's bindings (the variable's value) pass every guard. */
export function passesGuards(guards: readonly MatchGuard[], binding: unknown): boolean {
  for (const guard of guards) {
    let value: unknown = binding;
    for (const field of guard.path) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
      value = (value as Record<string, unknown>)[field];
    }
    if (typeof value !== 'string') return false;
    const test = guard.test;
    if (
      'equals' in test
        ? !test.equals.has(value)
        : 'prefix' in test
          ? !value.startsWith(test.prefix)
          : !value.includes(test.contains)
    )
      return false;
  }
  return true;
}

function conjuncts(expr: Expr | undefined): Expr[] {
  if (!expr) return [];
  const kind = expr.exprKind;
  if (kind.case === 'callExpr' && kind.value.function === '_&&_' && !kind.value.target)
    return kind.value.args.flatMap(conjuncts);
  return [expr];
}

function guardOf(expr: Expr, variable: string): MatchGuard | undefined {
  const kind = expr.exprKind;
  if (kind.case !== 'callExpr') return undefined;
  const { function: name, target, args } = kind.value;
  if (name === '_==_' && !target && args.length === 2) {
    const [left, right] = args as [Expr, Expr];
    const path = fieldPath(left, variable) ?? fieldPath(right, variable);
    const literal = stringConstant(right) ?? stringConstant(left);
    return path && literal !== undefined ? { path, test: { equals: new Set([literal]) } } : undefined;
  }
  if (name === '@in' && !target && args.length === 2) {
    const [item, list] = args as [Expr, Expr];
    const path = fieldPath(item, variable);
    if (!path || list.exprKind.case !== 'listExpr') return undefined;
    const values = list.exprKind.value.elements.map(stringConstant);
    if (values.some((value) => value === undefined)) return undefined;
    return { path, test: { equals: new Set(values as string[]) } };
  }
  if ((name === 'startsWith' || name === 'contains') && target && args.length === 1) {
    const path = fieldPath(target, variable);
    const literal = stringConstant(args[0]!);
    if (!path || literal === undefined) return undefined;
    return { path, test: name === 'startsWith' ? { prefix: literal } : { contains: literal } };
  }
  return undefined;
}

/** `variable.a.b` → `['a', 'b']`; anything else (an index, a call, another variable) → undefined. */
function fieldPath(expr: Expr, variable: string): string[] | undefined {
  const fields: string[] = [];
  let current: Expr | undefined = expr;
  while (current?.exprKind.case === 'selectExpr') {
    if (current.exprKind.value.testOnly) return undefined;
    fields.unshift(current.exprKind.value.field);
    current = current.exprKind.value.operand;
  }
  if (current?.exprKind.case !== 'identExpr' || current.exprKind.value.name !== variable) return undefined;
  return fields.length > 0 ? fields : undefined;
}

function stringConstant(expr: Expr): string | undefined {
  const kind = expr.exprKind;
  return kind.case === 'constExpr' && kind.value.constantKind.case === 'stringValue'
    ? kind.value.constantKind.value
    : undefined;
}
