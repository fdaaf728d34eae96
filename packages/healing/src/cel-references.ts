import { parse } from '@bufbuild/cel';

type Expr = NonNullable<ReturnType<typeof parse>['expr']>;

/** What a CEL expression reads: top-level variables, and the fields of `evidence` it names. */
export interface CelReferences {
  variables: Set<string>;
  evidence: Set<string>;
  /** The expression is the literal `true`: every branch after it is unreachable. */
  alwaysTrue: boolean;
}

/**
 * Walks the parsed expression (it compiled already) for the identifiers it reads. Comprehension variables
 * are local and not counted. `evidence.x` and `evidence['x']` name evidence `x`; `has(evidence.x)` too.
 */
export function celReferences(source: string): CelReferences {
  const found: CelReferences = { variables: new Set(), evidence: new Set(), alwaysTrue: false };
  const root = parse(source).expr;
  if (!root) return found;
  const locals = new Set<string>();
  const collectLocals = (expr: Expr | undefined): void => {
    if (!expr) return;
    const kind = expr.exprKind;
    if (kind.case === 'comprehensionExpr') {
      locals.add(kind.value.iterVar);
      locals.add(kind.value.accuVar);
    }
    children(expr).forEach(collectLocals);
  };
  collectLocals(root);
  const visit = (expr: Expr | undefined): void => {
    if (!expr) return;
    const kind = expr.exprKind;
    if (kind.case === 'identExpr') {
      if (!locals.has(kind.value.name)) found.variables.add(kind.value.name);
      return;
    }
    if (kind.case === 'selectExpr') {
      const operand = kind.value.operand;
      if (operand?.exprKind.case === 'identExpr' && operand.exprKind.value.name === 'evidence')
        found.evidence.add(kind.value.field);
    }
    if (kind.case === 'callExpr' && kind.value.function === '_[_]') {
      const [operand, key] = kind.value.args;
      if (
        operand?.exprKind.case === 'identExpr' &&
        operand.exprKind.value.name === 'evidence' &&
        key?.exprKind.case === 'constExpr' &&
        key.exprKind.value.constantKind.case === 'stringValue'
      )
        found.evidence.add(key.exprKind.value.constantKind.value);
    }
    children(expr).forEach(visit);
  };
  visit(root);
  found.alwaysTrue =
    root.exprKind.case === 'constExpr' &&
    root.exprKind.value.constantKind.case === 'boolValue' &&
    root.exprKind.value.constantKind.value;
  return found;
}

function children(expr: Expr): (Expr | undefined)[] {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr':
      return [kind.value.operand];
    case 'callExpr':
      return [kind.value.target, ...kind.value.args];
    case 'listExpr':
      return kind.value.elements;
    case 'structExpr':
      return kind.value.entries.flatMap((entry) => [
        entry.keyKind.case === 'mapKey' ? entry.keyKind.value : undefined,
        entry.value,
      ]);
    case 'comprehensionExpr':
      return [
        kind.value.iterRange,
        kind.value.accuInit,
        kind.value.loopCondition,
        kind.value.loopStep,
        kind.value.result,
      ];
    default:
      return [];
  }
}
