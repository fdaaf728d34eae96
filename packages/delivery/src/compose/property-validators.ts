import { createHash } from 'node:crypto';
import { createAjv, toDetails, type ErrorDetail } from '@gantry/model';
import type { ValidateFunction } from 'ajv';

/** What a definition contributes to property validation. */
export interface PropertySchemaSource {
  /** `component/webservice`, `trait/scaler`: names the definition in the cache key and in messages. */
  readonly id: string;
  readonly version: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

export type PropertyValidation =
  /** `value` is a copy of the properties with the schema's defaults filled in. */
  | { ok: true; value: Record<string, unknown> }
  /** `errors` point into the properties (`/ports/0/port`). */
  | { ok: false; errors: ErrorDetail[] }
  /** The definition's schema itself does not compile: the definition is at fault, not the properties. */
  | { ok: false; schemaError: string };

type Compiled = { ok: true; validate: ValidateFunction; schema: object } | { ok: false; message: string };

/**
 * Validates properties against definitions' JSON Schemas with Ajv, applying schema defaults to a copy.
 * Compiling is the slow part, so each schema is compiled once and cached: by the schema object itself
 * (every application sharing one loaded definition hits at once) and by definition, version and schema
 * text (a definition snapshot read again from a revision). The text cache is bounded, oldest out.
 */
export class PropertyValidators {
  readonly #ajv = createAjv();
  readonly #byObject = new WeakMap<object, Compiled>();
  readonly #byText = new Map<string, Compiled>();
  readonly #cacheSize: number;
  #compilations = 0;

  constructor(options: { cacheSize?: number } = {}) {
    this.#cacheSize = options.cacheSize ?? 1000;
  }

  /** Schemas actually compiled (cache misses). */
  get compilations(): number {
    return this.#compilations;
  }

  validate(source: PropertySchemaSource, properties: unknown): PropertyValidation {
    const compiled = this.#compiled(source);
    if (!compiled.ok) return { ok: false, schemaError: compiled.message };
    // Ajv writes defaults into the data it validates; the caller's properties stay as they were.
    const value: unknown = structuredClone(properties ?? {});
    if (!compiled.validate(value)) return { ok: false, errors: toDetails(compiled.validate.errors ?? []) };
    return { ok: true, value: value as Record<string, unknown> };
  }

  #compiled(source: PropertySchemaSource): Compiled {
    const known = this.#byObject.get(source.schema);
    if (known) return known;
    const text = JSON.stringify(source.schema);
    const key = `${source.id}@${source.version}#${createHash('sha256').update(text).digest('hex')}`;
    let compiled = this.#byText.get(key);
    if (compiled) {
      // Most recently used goes to the end, so the oldest is forgotten first.
      this.#byText.delete(key);
    } else {
      compiled = this.#compile(JSON.parse(text) as Record<string, unknown>);
      if (this.#byText.size >= this.#cacheSize) this.#forgetOldest();
    }
    this.#byText.set(key, compiled);
    this.#byObject.set(source.schema, compiled);
    return compiled;
  }

  #compile(schema: Record<string, unknown>): Compiled {
    this.#compilations += 1;
    // `$id` would register the schema globally in Ajv (a second version would then collide) and `$schema`
    // would ask for a meta-schema by URL; neither changes what the properties may be.
    delete schema.$id;
    delete schema.$schema;
    try {
      return { ok: true, validate: this.#ajv.compile(schema), schema };
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
  }

  #forgetOldest(): void {
    const oldest = this.#byText.entries().next();
    if (oldest.done) return;
    const [key, compiled] = oldest.value;
    this.#byText.delete(key);
    // Ajv keeps every compiled schema too; drop it there so the bound holds.
    if (compiled.ok) this.#ajv.removeSchema(compiled.schema);
  }
}
