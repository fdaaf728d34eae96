import type { ErrorDetail } from '@gantry/model';
import { celToJson, parseTemplateString, type CelEngine, type CelProgram } from '@gantry/delivery';

type Part = { kind: 'text'; text: string } | { kind: 'expression'; program: CelProgram };

/** A rule's labels or annotations, compiled: `${...}` CEL over `labels` (a map) and `value` (a number). */
export interface RuleTemplates {
  /**
   * Renders every entry for one sample. An expression that fails leaves `<error: ...>` in its place, as
   * Prometheus does with a template that fails: the alert still goes out and says what is wrong.
   */
  render(bindings: { labels: Record<string, string>; value: number }): Record<string, string>;
}

export type RuleTemplatesCompile =
  { ok: true; templates: RuleTemplates } | { ok: false; errors: ErrorDetail[] };

/** Compiles every entry of `map`; errors carry `path/<name>` (e.g. `/spec/annotations/summary`). */
export function compileRuleTemplates(
  engine: CelEngine,
  map: Readonly<Record<string, string>> | undefined,
  path: string,
): RuleTemplatesCompile {
  const entries: [string, Part[]][] = [];
  const errors: ErrorDetail[] = [];
  for (const [name, text] of Object.entries(map ?? {})) {
    const where = `${path}/${name}`;
    const parsed = parseTemplateString(text);
    if (!parsed.ok) {
      errors.push({ path: where, message: parsed.message });
      continue;
    }
    const parts: Part[] = [];
    for (const segment of parsed.segments) {
      if (segment.kind === 'text') {
        parts.push(segment);
        continue;
      }
      const compiled = engine.compile(segment.source);
      if (!compiled.ok) errors.push({ path: where, message: `\${${segment.source}}: ${compiled.message}` });
      else parts.push({ kind: 'expression', program: compiled.program });
    }
    entries.push([name, parts]);
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    templates: {
      render(bindings) {
        const out: Record<string, string> = {};
        for (const [name, parts] of entries) {
          // A fresh object per render: the engine caches the CEL form of a bindings object by identity.
          const scope = { labels: bindings.labels, value: bindings.value };
          out[name] = parts
            .map((part) => (part.kind === 'text' ? part.text : renderPart(part.program, scope)))
            .join('');
        }
        return out;
      },
    },
  };
}

function renderPart(program: CelProgram, bindings: Record<string, unknown>): string {
  const result = program.evaluate(bindings);
  if (!result.ok) return `<error: ${result.message}>`;
  const json = celToJson(result.value);
  if (!json.ok) return `<error: ${json.message}>`;
  return typeof json.value === 'string' ? json.value : JSON.stringify(json.value);
}
