import type { CelEngine } from './cel-environment.ts';
import { celToJson, type JsonValue } from './cel-json.ts';
import { parseTemplateString, type TemplateSegment } from './template-string.ts';

/** What a definition's templates may refer to: the component's or trait's properties and Gantry's context. */
export interface TemplateVariables {
  readonly parameter: unknown;
  readonly context: unknown;
}

export interface TemplateError {
  /** JSON pointer to the template string that failed, e.g. `/spec/template/spec/containers/0/image`. */
  readonly path: string;
  /** The CEL source inside `${...}` (the whole string when the string itself is malformed). */
  readonly expression: string;
  readonly message: string;
}

export type RenderResult = { ok: true; value: JsonValue } | { ok: false; errors: TemplateError[] };

/** A rendered node, or nothing: an object field whose whole-string expression gave null is left out. */
type Rendered = { value: JsonValue } | { omit: true };

/**
 * Renders kro-style templates: every string may hold `${...}` CEL expressions over `parameter` and
 * `context`. A string that is exactly one expression takes the expression's type; otherwise each value is
 * interpolated as text. All errors of a template are reported together. Rules: docs/adr/0006-cel-templates.md.
 */
export class TemplateRenderer {
  readonly #engine: CelEngine;

  constructor(engine: CelEngine) {
    this.#engine = engine;
  }

  render(template: unknown, variables: TemplateVariables): RenderResult {
    const bindings = { parameter: variables.parameter ?? {}, context: variables.context ?? {} };
    const errors: TemplateError[] = [];
    const rendered = this.#node(template, '', bindings, errors);
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, value: 'value' in rendered ? rendered.value : null };
  }

  #node(node: unknown, path: string, bindings: Record<string, unknown>, errors: TemplateError[]): Rendered {
    if (typeof node === 'string') return this.#string(node, path, bindings, errors);
    if (node === null || typeof node === 'boolean') return { value: node };
    if (typeof node === 'number' && Number.isFinite(node)) return { value: node };
    if (Array.isArray(node)) {
      // List elements are never dropped: removing one would shift the indices after it.
      return {
        value: node.map((element: unknown, index) => {
          const rendered = this.#node(element, `${path}/${index}`, bindings, errors);
          return 'value' in rendered ? rendered.value : null;
        }),
      };
    }
    if (typeof node === 'object' && node !== null && !(node instanceof Uint8Array)) {
      const out: { [key: string]: JsonValue } = {};
      for (const [key, child] of Object.entries(node)) {
        if (child === undefined) continue;
        const rendered = this.#node(child, `${path}/${escapePointer(key)}`, bindings, errors);
        if ('value' in rendered) out[key] = rendered.value;
      }
      return { value: out };
    }
    errors.push({
      path,
      expression: '',
      message: `a template holds only JSON values, not ${describe(node)}`,
    });
    return { value: null };
  }

  #string(text: string, path: string, bindings: Record<string, unknown>, errors: TemplateError[]): Rendered {
    const parsed = parseTemplateString(text);
    if (!parsed.ok) {
      errors.push({ path, expression: text, message: parsed.message });
      return { value: null };
    }
    const [only, ...rest] = parsed.segments;
    if (only === undefined) return { value: '' };
    if (rest.length === 0) {
      if (only.kind === 'text') return { value: only.text };
      const value = this.#evaluate(only.source, path, bindings, errors);
      if (value === undefined) return { value: null };
      return value === null ? { omit: true } : { value };
    }
    return { value: this.#interpolate(parsed.segments, path, bindings, errors) };
  }

  #interpolate(
    segments: TemplateSegment[],
    path: string,
    bindings: Record<string, unknown>,
    errors: TemplateError[],
  ): string {
    let out = '';
    for (const segment of segments) {
      if (segment.kind === 'text') {
        out += segment.text;
        continue;
      }
      const value = this.#evaluate(segment.source, path, bindings, errors);
      if (value === undefined) continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        out += String(value);
      } else {
        const what = value === null ? 'null' : Array.isArray(value) ? 'a list' : 'a map';
        errors.push({
          path,
          expression: segment.source,
          message: `${what} cannot be interpolated into a string; make the whole string one \${...} expression`,
        });
      }
    }
    return out;
  }

  /** The expression's JSON value, or undefined after recording an error. */
  #evaluate(
    source: string,
    path: string,
    bindings: Record<string, unknown>,
    errors: TemplateError[],
  ): JsonValue | undefined {
    const compiled = this.#engine.compile(source);
    if (!compiled.ok) {
      errors.push({ path, expression: source, message: compiled.message });
      return undefined;
    }
    const evaluated = compiled.program.evaluate(bindings);
    if (!evaluated.ok) {
      errors.push({ path, expression: source, message: evaluated.message });
      return undefined;
    }
    const converted = celToJson(evaluated.value);
    if (!converted.ok) {
      errors.push({ path, expression: source, message: converted.message });
      return undefined;
    }
    return converted.value;
  }
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return 'binary data';
  return typeof value === 'number' ? String(value) : `a ${typeof value}`;
}
