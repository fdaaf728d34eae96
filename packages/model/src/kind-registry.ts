import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { ErrorCodes, InputError } from './errors.ts';
import { API_VERSION, ObjectMetaInput } from './resource.ts';
import { createAjv, lazyValidator, type Validator } from './validation.ts';

import type { KindScope } from './api/meta.ts';

/** What a later capability declares to add a kind: its schema, and nothing else. */
export interface KindDefinition {
  kind: string;
  plural: string;
  shortNames?: string[];
  scope: KindScope;
  description: string;
  spec: TSchema;
  status?: TSchema;
  /**
   * Extra columns for tables (the CLI's `get`, the console's lists), as in a CRD's
   * additionalPrinterColumns: `jsonPath` is a kubectl JSONPath such as `.status.serverVersion` or
   * `.status.conditions[?(@.type=="Ready")].status`.
   */
  printerColumns?: { name: string; jsonPath: string; description?: string }[];
}

export interface RegisteredKind extends Required<KindDefinition> {
  singular: string;
  apiVersion: string;
  /** The whole object as a client writes it (spec and metadata; status is ignored on the main resource). */
  schema: TObject;
  validate: Validator<unknown>;
  validateStatus: Validator<unknown>;
}

export class KindRegistry {
  readonly #kinds = new Map<string, RegisteredKind>();
  readonly #aliases = new Map<string, RegisteredKind>();
  readonly #ajv = createAjv();

  register(definition: KindDefinition): RegisteredKind {
    if (this.#kinds.has(definition.kind)) throw new Error(`kind ${definition.kind} is registered twice`);
    const status = definition.status ?? Type.Object({}, { additionalProperties: true });
    const schema = Type.Object(
      {
        apiVersion: Type.Literal(API_VERSION),
        kind: Type.Literal(definition.kind),
        metadata: ObjectMetaInput,
        spec: definition.spec,
        status: Type.Optional(Type.Unknown()),
      },
      { additionalProperties: false, $id: `${API_VERSION}/${definition.kind}` },
    );
    const registered: RegisteredKind = {
      shortNames: [],
      printerColumns: [],
      status,
      ...definition,
      singular: definition.kind.toLowerCase(),
      apiVersion: API_VERSION,
      schema,
      validate: lazyValidator(this.#ajv, schema),
      validateStatus: lazyValidator(this.#ajv, status),
    };
    this.#kinds.set(definition.kind, registered);
    for (const alias of [definition.kind, definition.plural, registered.singular, ...registered.shortNames]) {
      this.#aliases.set(alias.toLowerCase(), registered);
    }
    return registered;
  }

  /** Finds a kind by its name, plural, singular or short name, case-insensitively. */
  find(nameOrAlias: string): RegisteredKind | undefined {
    return this.#aliases.get(nameOrAlias.toLowerCase());
  }

  get(nameOrAlias: string): RegisteredKind {
    const found = this.find(nameOrAlias);
    if (!found) {
      throw new InputError(
        `unknown kind ${JSON.stringify(nameOrAlias)}`,
        [{ path: '/kind', message: 'unknown kind' }],
        ErrorCodes.unknownKind,
      );
    }
    return found;
  }

  list(): RegisteredKind[] {
    return [...this.#kinds.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  }
}
