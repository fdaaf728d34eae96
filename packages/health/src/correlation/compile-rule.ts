import type { CorrelationRuleSpec, ErrorDetail } from '@gantry/model';
import { parseDuration } from '@gantry/alerts';
import { celToJson, parseTemplateString, type CelEngine, type CelProgram } from '@gantry/delivery';
import type { CorrelationGroup } from '../ports.ts';

/** What a rule's CEL sees of one alert: maps of strings, fresh per alert. */
export interface AlertBindings {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  entities: Readonly<Record<string, string>>;
}

type GroupDimension = { name: string; label: string } | { name: string; program: CelProgram };
type TitlePart = { kind: 'text'; text: string } | { kind: 'expression'; program: CelProgram };

/** A CorrelationRule checked and compiled once per generation. */
export interface CompiledCorrelationRule {
  name: string;
  enabled: boolean;
  windowMs: number;
  threshold: number;
  severity: CorrelationGroup['severity'];
  resolveOn: CorrelationRuleSpec['resolveOn'];
  /** True when the rule takes the alert; a CEL error is "no" (the alert falls to topology). */
  matches(alert: AlertBindings): boolean;
  /** The values the alert shares with its group, by dimension name, in the rule's order. */
  groupValues(alert: AlertBindings): Record<string, string>;
  /** The exception's title for a group's first alert. */
  title(bindings: { shared: Record<string, string>; labels: Readonly<Record<string, string>> }): string;
}

export type CorrelationRuleCompile =
  { ok: true; rule: CompiledCorrelationRule } | { ok: false; errors: ErrorDetail[] };

/**
 * Compiles a CorrelationRule: the match condition, every group-by expression and the title template
 * through the project's CEL engine; each problem carries the field path and the expression.
 */
export function compileCorrelationRule(
  engine: CelEngine,
  name: string,
  spec: CorrelationRuleSpec,
): CorrelationRuleCompile {
  const errors: ErrorDetail[] = [];
  const compile = (source: string, path: string): CelProgram | undefined => {
    const compiled = engine.compile(source);
    if (compiled.ok) return compiled.program;
    errors.push({ path, message: `${source}: ${compiled.message}` });
    return undefined;
  };

  const match = compile(spec.match, '/spec/match');
  const dimensions: GroupDimension[] = [];
  const seen = new Set<string>();
  (spec.groupBy ?? []).forEach((entry, index) => {
    const path = `/spec/groupBy/${index}`;
    if ((entry.label === undefined) === (entry.cel === undefined)) {
      errors.push({ path, message: 'set exactly one of label and cel' });
      return;
    }
    const dimensionName = entry.label ?? entry.name;
    if (dimensionName === undefined) {
      errors.push({ path: `${path}/name`, message: 'a cel dimension needs a name' });
      return;
    }
    if (seen.has(dimensionName))
      errors.push({ path, message: `${dimensionName} is already a dimension of this rule` });
    seen.add(dimensionName);
    if (entry.label !== undefined) dimensions.push({ name: dimensionName, label: entry.label });
    else {
      const program = compile(entry.cel!, `${path}/cel`);
      if (program) dimensions.push({ name: dimensionName, program });
    }
  });

  const title: TitlePart[] = [];
  const parsed = parseTemplateString(spec.title);
  if (!parsed.ok) errors.push({ path: '/spec/title', message: parsed.message });
  else
    for (const segment of parsed.segments) {
      if (segment.kind === 'text') title.push(segment);
      else {
        const program = compile(segment.source, '/spec/title');
        if (program) title.push({ kind: 'expression', program });
      }
    }

  const window = parseDuration(spec.window ?? '5m');
  if (!window.ok) errors.push({ path: '/spec/window', message: window.error });
  else if (window.ms === 0) errors.push({ path: '/spec/window', message: 'must be longer than 0s' });

  if (errors.length > 0 || !match || !window.ok) return { ok: false, errors };
  return {
    ok: true,
    rule: {
      name,
      enabled: spec.enabled ?? true,
      windowMs: window.ms,
      threshold: spec.threshold ?? 1,
      severity: spec.severity ?? 'major',
      resolveOn: spec.resolveOn ?? 'last_resolved',
      matches(alert) {
        const result = match.evaluate({ ...alert });
        return result.ok && result.value === true;
      },
      groupValues(alert) {
        const values: Record<string, string> = {};
        for (const dimension of dimensions) {
          values[dimension.name] =
            'label' in dimension
              ? (alert.labels[dimension.label] ?? '')
              : render(dimension.program, { ...alert });
        }
        return values;
      },
      title(bindings) {
        return title
          .map((part) =>
            part.kind === 'text'
              ? part.text
              : render(part.program, { shared: bindings.shared, labels: bindings.labels, rule: name }),
          )
          .join('');
      },
    },
  };
}

/** A CEL value as text: strings as they are, anything else as JSON; a failure says so in place. */
function render(program: CelProgram, bindings: Record<string, unknown>): string {
  const result = program.evaluate(bindings);
  if (!result.ok) return `<error: ${result.message}>`;
  const json = celToJson(result.value);
  if (!json.ok) return `<error: ${json.message}>`;
  return typeof json.value === 'string' ? json.value : JSON.stringify(json.value);
}
