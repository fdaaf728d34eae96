import type { ErrorDetail, InspectionCheck, InspectionSpec, InspectionSubject } from '@gantry/model';
import { celToJson, parseTemplateString, type CelEngine, type CelProgram } from '@gantry/delivery';
import { nextCronTime } from '@gantry/jobs';

/** A check as every run uses it: its CEL compiled once per generation. */
export type CompiledCheck = {
  name: string;
  score: number;
  scoreExpression?: CelProgram;
  title?: CompiledTemplate;
  /** The title's text, to see which variables it names. */
  titleSource?: string;
  maxRisks: number;
} & (
  | { type: 'promql'; source: string; query: string; condition: CelProgram; whenEmpty: 'noData' | 'noRisk' }
  | { type: 'inventory'; over: InspectionSubject; condition: CelProgram }
  | { type: 'cel'; condition: CelProgram }
);

export interface CompiledInspection {
  cron: string;
  timeZone: string;
  suspend: boolean;
  checks: CompiledCheck[];
}

export type InspectionCompile =
  { ok: true; inspection: CompiledInspection } | { ok: false; errors: ErrorDetail[] };

/** `${...}` CEL inside text; an expression that fails renders as `<error: ...>`, the risk still counts. */
export interface CompiledTemplate {
  render(bindings: Record<string, unknown>): string;
}

/**
 * Checks what the schema cannot and compiles: exactly one of promql, inventory and cel per check, unique
 * check names, every CEL expression and title template, the cron and time zone, and the shape of each
 * PromQL query (balanced brackets and quotes: Gantry has no PromQL parser, Prometheus judges the rest on
 * the first run and the run says so). Every problem carries its field path.
 */
export function compileInspection(engine: CelEngine, spec: InspectionSpec): InspectionCompile {
  const errors: ErrorDetail[] = [];
  const cron = nextCronTime({ cron: spec.schedule.cron, timeZone: spec.schedule.timeZone }, 0);
  if (!cron.ok)
    for (const error of cron.errors)
      errors.push({ path: error.path.replace(/^\/spec\//, '/spec/schedule/'), message: error.message });
  const names = new Set<string>();
  const checks: CompiledCheck[] = [];
  spec.checks.forEach((check, index) => {
    const path = `/spec/checks/${index}`;
    if (names.has(check.name)) errors.push({ path: `${path}/name`, message: `${check.name} is used twice` });
    names.add(check.name);
    const compiled = compileCheck(engine, check, path, errors);
    if (compiled) checks.push(compiled);
  });
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    inspection: { cron: spec.schedule.cron, timeZone: spec.schedule.timeZone, suspend: spec.suspend, checks },
  };
}

function compileCheck(
  engine: CelEngine,
  check: InspectionCheck,
  path: string,
  errors: ErrorDetail[],
): CompiledCheck | undefined {
  const kinds = [check.promql, check.inventory, check.cel].filter((kind) => kind !== undefined).length;
  if (kinds !== 1) {
    errors.push({ path, message: 'set exactly one of promql, inventory and cel' });
    return undefined;
  }
  const before = errors.length;
  const program = (source: string, where: string): CelProgram | undefined => {
    const compiled = engine.compile(source);
    if (compiled.ok) return compiled.program;
    errors.push({ path: where, message: compiled.message });
    return undefined;
  };
  const scoreExpression =
    check.scoreExpression !== undefined
      ? program(check.scoreExpression, `${path}/scoreExpression`)
      : undefined;
  const title =
    check.title !== undefined ? compileTemplate(engine, check.title, `${path}/title`, errors) : undefined;
  const common = {
    name: check.name,
    score: check.score,
    maxRisks: check.maxRisks,
    ...(scoreExpression ? { scoreExpression } : {}),
    ...(title ? { title, titleSource: check.title } : {}),
  };
  let compiled: CompiledCheck | undefined;
  if (check.promql) {
    const shape = promqlShape(check.promql.query);
    if (shape) errors.push({ path: `${path}/promql/query`, message: shape });
    const condition = program(check.promql.condition, `${path}/promql/condition`);
    if (condition)
      compiled = {
        ...common,
        type: 'promql',
        source: check.promql.source,
        query: check.promql.query,
        condition,
        whenEmpty: check.promql.whenEmpty,
      };
  } else if (check.inventory) {
    const condition = program(check.inventory.condition, `${path}/inventory/condition`);
    if (condition) compiled = { ...common, type: 'inventory', over: check.inventory.over, condition };
  } else if (check.cel) {
    const condition = program(check.cel.condition, `${path}/cel/condition`);
    if (condition) compiled = { ...common, type: 'cel', condition };
  }
  return errors.length === before ? compiled : undefined;
}

const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * What is wrong with the query's shape, or undefined: blank, unbalanced brackets, an unterminated string.
 * Not a PromQL parser; it catches what a typo in a manifest most often breaks.
 */
export function promqlShape(query: string): string | undefined {
  if (query.trim() === '') return 'must not be blank';
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < query.length; i += 1) {
    const char = query[i]!;
    if (quote) {
      if (char === '\\' && quote !== '`') i += 1;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'" || char === '`') quote = char;
    else if (char === '#') {
      while (i < query.length && query[i] !== '\n') i += 1;
    } else if (CLOSING[char]) stack.push(CLOSING[char]);
    else if (char === ')' || char === ']' || char === '}') {
      const expected = stack.pop();
      if (expected !== char)
        return expected
          ? `'${char}' at offset ${i} closes what needs '${expected}'`
          : `'${char}' at offset ${i} closes nothing`;
    }
  }
  if (quote) return `a string opened with ${quote} is not closed`;
  if (stack.length > 0) return `'${stack.at(-1)}' is missing at the end`;
  return undefined;
}

type Part = { kind: 'text'; text: string } | { kind: 'expression'; program: CelProgram };

function compileTemplate(
  engine: CelEngine,
  text: string,
  path: string,
  errors: ErrorDetail[],
): CompiledTemplate | undefined {
  const parsed = parseTemplateString(text);
  if (!parsed.ok) {
    errors.push({ path, message: parsed.message });
    return undefined;
  }
  const parts: Part[] = [];
  for (const segment of parsed.segments) {
    if (segment.kind === 'text') parts.push(segment);
    else {
      const compiled = engine.compile(segment.source);
      if (!compiled.ok) errors.push({ path, message: `\${${segment.source}}: ${compiled.message}` });
      else parts.push({ kind: 'expression', program: compiled.program });
    }
  }
  return {
    render(bindings) {
      return parts
        .map((part) => {
          if (part.kind === 'text') return part.text;
          const result = part.program.evaluate(bindings);
          if (!result.ok) return `<error: ${result.message}>`;
          const json = celToJson(result.value);
          if (!json.ok) return `<error: ${json.message}>`;
          return typeof json.value === 'string' ? json.value : JSON.stringify(json.value);
        })
        .join('');
    },
  };
}
