import {
  CelScalar,
  celEnv,
  celFunc,
  isCelError,
  isCelList,
  isCelMap,
  parse,
  plan,
  type CelEnv,
  type CelResult,
  type CelValue,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { ExprSchema } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { create } from '@bufbuild/protobuf';

/**
 * The one CEL environment of Gantry's definitions (templates, health policies): the CEL standard library
 * plus the `strings` extension (`lowerAscii`, `replace`, `split`, `join`...). Variables are bound at
 * evaluation time; nothing in a definition can reach JavaScript.
 *
 * @bufbuild/cel 0.6 has no cost tracking and no way to interrupt a running evaluation, so the budget is
 * enforced statically on the parsed expression (length, AST size, comprehension nesting) and, at run
 * time, on the iterations of its comprehensions: every comprehension's range passes through a guard that
 * counts its items against the evaluation's budget before the loop starts; see ADR 0006.
 */

type ParsedExpr = ReturnType<typeof parse>;
type Expr = ParsedExpr['expr'];

export interface CelLimits {
  /** Longest accepted expression source, in UTF-16 code units. */
  readonly maxExpressionLength: number;
  /** Most AST nodes in one expression (after macro expansion). */
  readonly maxAstNodes: number;
  /** Deepest nesting of comprehensions (`map`, `filter`, `all`, `exists`...); cost grows as size^depth. */
  readonly maxComprehensionDepth: number;
  /**
   * Most comprehension iterations in one evaluation, all comprehensions together (an inner one counts
   * its range once per outer iteration): what bounds the work of a big list in the bindings.
   */
  readonly maxIterations: number;
}

export const defaultCelLimits: CelLimits = {
  maxExpressionLength: 4096,
  maxAstNodes: 1000,
  maxComprehensionDepth: 2,
  maxIterations: 100_000,
};

/** The guard every comprehension's range is wrapped in (see `guardRanges`); a name no user can mean. */
const RANGE_GUARD = '__gantry_range__';

/** What is left of the running evaluation's iteration budget (evaluations are synchronous, one at a time). */
const budget = { remaining: Infinity, limit: 0 };

const rangeGuard = celFunc(RANGE_GUARD, [CelScalar.DYN], CelScalar.DYN, (range) => {
  const size = isCelList(range) || isCelMap(range) ? range.size : 0;
  budget.remaining -= size;
  if (budget.remaining < 0)
    throw new Error(`the expression needs more than ${budget.limit} comprehension iterations (the limit)`);
  return range;
});

export type CelCompileResult = { ok: true; program: CelProgram } | { ok: false; message: string };
export type CelEvalResult = { ok: true; value: CelValue } | { ok: false; message: string };

/** JSON-shaped bindings; numbers that are integers enter CEL as `int`, others as `double`. */
export type CelBindings = Readonly<Record<string, unknown>>;

export interface CelProgram {
  readonly source: string;
  /** `bindings` must not change once evaluated over: their CEL form is kept with them. */
  evaluate(bindings: CelBindings): CelEvalResult;
}

export interface CelEngine {
  readonly limits: CelLimits;
  /** Parses and plans `source`, or returns the cached program compiled from the same text. */
  compile(source: string): CelCompileResult;
  /** Number of expressions actually parsed and planned (cache misses). */
  readonly compilations: number;
}

export interface CelEngineOptions {
  readonly limits?: Partial<CelLimits>;
  /** Cached programs kept at most; the oldest is forgotten first. */
  readonly cacheSize?: number;
}

export function createCelEngine(options: CelEngineOptions = {}): CelEngine {
  const limits: CelLimits = { ...defaultCelLimits, ...options.limits };
  const cacheSize = options.cacheSize ?? 10_000;
  const env = celEnv({ funcs: [...strings, rangeGuard] });
  const cache = new Map<string, CelCompileResult>();
  let compilations = 0;

  return {
    limits,
    get compilations() {
      return compilations;
    },
    compile(source) {
      const cached = cache.get(source);
      if (cached) return cached;
      compilations += 1;
      const result = compileUncached(env, limits, source);
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(source, result);
      return result;
    },
  };
}

function compileUncached(env: CelEnv, limits: CelLimits, source: string): CelCompileResult {
  if (source.length > limits.maxExpressionLength) {
    return {
      ok: false,
      message: `expression is ${source.length} characters long; the limit is ${limits.maxExpressionLength}`,
    };
  }
  if (source.trim() === '') return { ok: false, message: 'expression is empty' };
  let parsed: ParsedExpr;
  try {
    parsed = parse(source);
  } catch (error) {
    return { ok: false, message: `syntax error: ${describeParseError(error)}` };
  }
  const shape = measure(parsed.expr);
  if (shape.nodes > limits.maxAstNodes) {
    return { ok: false, message: `expression has ${shape.nodes} nodes; the limit is ${limits.maxAstNodes}` };
  }
  if (shape.comprehensionDepth > limits.maxComprehensionDepth) {
    return {
      ok: false,
      message: `comprehensions are nested ${shape.comprehensionDepth} deep; the limit is ${limits.maxComprehensionDepth}`,
    };
  }
  guardRanges(parsed.expr);
  let run: ReturnType<typeof plan>;
  try {
    run = plan(env, parsed);
  } catch (error) {
    return { ok: false, message: `invalid expression: ${errorMessage(error)}` };
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const program: CelProgram = {
    source,
    evaluate(bindings) {
      let value: CelResult;
      budget.remaining = limits.maxIterations;
      budget.limit = limits.maxIterations;
      try {
        value = run(toCelBindings(bindings));
      } catch (error) {
        // The library promises errors as values; a throw is still reported, never propagated.
        return { ok: false, message: errorMessage(error) };
      } finally {
        budget.remaining = Infinity;
      }
      if (isCelError(value)) {
        const offset = value.exprId === undefined ? undefined : positions[value.exprId.toString()];
        const where = offset === undefined ? '' : ` (at column ${offset + 1})`;
        return { ok: false, message: `${value.message}${where}` };
      }
      return { ok: true, value };
    },
  };
  return { ok: true, program };
}

function describeParseError(error: unknown): string {
  // The parser prefixes its location with `<input>:`; the caller reports which expression it was.
  return errorMessage(error).replace(/^<input>:/, '');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Wraps the range of every comprehension in `RANGE_GUARD(range)`, which returns the range after counting
 * its items against the budget, or fails the evaluation once it is spent: the comprehension then ends
 * with that error before its first iteration. New nodes get ids above the parser's (no source position).
 */
function guardRanges(root: Expr | undefined): void {
  if (!root) return;
  let nextId = 0n;
  const ids = (expr: Expr | undefined): void => {
    if (!expr) return;
    if (expr.id >= nextId) nextId = expr.id + 1n;
    forEachChild(expr, ids);
  };
  ids(root);
  const wrap = (expr: Expr | undefined): void => {
    if (!expr) return;
    forEachChild(expr, wrap);
    if (expr.exprKind.case !== 'comprehensionExpr') return;
    const comprehension = expr.exprKind.value;
    comprehension.iterRange = create(ExprSchema, {
      id: nextId++,
      exprKind: {
        case: 'callExpr',
        value: { function: RANGE_GUARD, args: comprehension.iterRange ? [comprehension.iterRange] : [] },
      },
    });
  };
  wrap(root);
}

function forEachChild(expr: Expr, visit: (child: Expr | undefined) => void): void {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr':
      visit(kind.value.operand);
      return;
    case 'callExpr':
      visit(kind.value.target);
      kind.value.args.forEach(visit);
      return;
    case 'listExpr':
      kind.value.elements.forEach(visit);
      return;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value);
        visit(entry.value);
      }
      return;
    case 'comprehensionExpr':
      visit(kind.value.iterRange);
      visit(kind.value.accuInit);
      visit(kind.value.loopCondition);
      visit(kind.value.loopStep);
      visit(kind.value.result);
      return;
    default:
      return;
  }
}

function measure(root: Expr): { nodes: number; comprehensionDepth: number } {
  let nodes = 0;
  let comprehensionDepth = 0;
  const visit = (expr: Expr | undefined, depth: number): void => {
    if (!expr) return;
    nodes += 1;
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'selectExpr':
        visit(kind.value.operand, depth);
        return;
      case 'callExpr':
        visit(kind.value.target, depth);
        for (const arg of kind.value.args) visit(arg, depth);
        return;
      case 'listExpr':
        for (const element of kind.value.elements) visit(element, depth);
        return;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value, depth);
          visit(entry.value, depth);
        }
        return;
      case 'comprehensionExpr': {
        const inner = depth + 1;
        comprehensionDepth = Math.max(comprehensionDepth, inner);
        const c = kind.value;
        visit(c.iterRange, depth);
        visit(c.accuInit, depth);
        visit(c.loopCondition, inner);
        visit(c.loopStep, inner);
        visit(c.result, depth);
        return;
      }
      default:
        return;
    }
  };
  visit(root, 0);
  return { nodes, comprehensionDepth };
}

/**
 * JSON numbers have no int/double distinction, but CEL has no `int + double` overload: an integral number
 * enters CEL as `int` (so `parameter.replicas + 1` works), any other as `double`.
 */
function toCelBindings(bindings: CelBindings): Record<string, never> {
  // A template evaluates many expressions over one bindings object: it is converted once.
  const known = converted.get(bindings);
  if (known) return known;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(bindings)) out[name] = toCelInput(value);
  converted.set(bindings, out as Record<string, never>);
  return out as Record<string, never>;
}

const converted = new WeakMap<CelBindings, Record<string, never>>();

function toCelInput(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCelInput);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      // `undefined` is not JSON: a field set to undefined is treated as absent, so `has()` sees it missing.
      if (entry !== undefined) out[key] = toCelInput(entry);
    }
    return out;
  }
  return value;
}
