import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  API_VERSION,
  ComponentDefinitionSpec,
  TraitDefinitionSpec,
  compileValidator,
  createAjv,
  type ResourceInput,
} from '@gantry/model';
import { parse } from 'yaml';
import type { DefinitionSet } from '../compose/compose.ts';

export {
  cronJobHealthPolicy,
  daemonSetHealthPolicy,
  deploymentHealthPolicy,
  jobHealthPolicy,
  podDisruptionBudgetHealthPolicy,
  standardHealthPolicy,
  statefulSetHealthPolicy,
} from './health-policies.ts';

/**
 * The built-in definitions Gantry installs (webservice, scaler...): YAML files under
 * packages/delivery/catalog, each a complete Gantry object an operator could apply. The server bundle
 * carries them in dist/catalog as JSON (scripts/bundle.mjs parses the YAML at build time: parsing it at
 * every start took a fifth of a cold start).
 */

const BUILTIN = 'catalog.gantry.dev/builtin';

export interface CatalogDefinition<S> extends ResourceInput {
  metadata: { name: string; labels: Record<string, string> };
  /** Validated against the kind's schema, with its defaults filled in. */
  spec: S;
}

export interface Catalog {
  components: CatalogDefinition<ComponentDefinitionSpec>[];
  traits: CatalogDefinition<TraitDefinitionSpec>[];
}

/**
 * Where the catalog files are: next to the bundle (`dist/catalog`), else in the package when running from
 * source. Throws when neither exists.
 */
export function catalogDir(): string {
  const candidates = [new URL('./catalog/', import.meta.url), new URL('../../catalog/', import.meta.url)].map(
    (url) => fileURLToPath(url),
  );
  const found = candidates.find(
    (dir) => existsSync(join(dir, 'components')) && existsSync(join(dir, 'traits')),
  );
  if (found === undefined)
    throw new Error(`the built-in catalog is missing: looked in ${candidates.join(' and ')}`);
  return found;
}

/**
 * Reads and checks every built-in definition, in file-name order. A file that is not a valid definition is
 * a defect of the release, so it throws rather than being skipped.
 */
export function loadCatalog(options: { dir?: string } = {}): Catalog {
  const dir = options.dir ?? catalogDir();
  const ajv = createAjv();
  return {
    components: readDefinitions<ComponentDefinitionSpec>(
      join(dir, 'components'),
      'ComponentDefinition',
      compileValidator(ajv, ComponentDefinitionSpec),
    ),
    traits: readDefinitions<TraitDefinitionSpec>(
      join(dir, 'traits'),
      'TraitDefinition',
      compileValidator(ajv, TraitDefinitionSpec),
    ),
  };
}

/** The built-ins as the composer takes them. */
export function catalogDefinitionSet(catalog: Catalog = loadCatalog()): DefinitionSet {
  return {
    components: new Map(
      catalog.components.map((d) => [d.metadata.name, { name: d.metadata.name, spec: d.spec }]),
    ),
    traits: new Map(catalog.traits.map((d) => [d.metadata.name, { name: d.metadata.name, spec: d.spec }])),
  };
}

function readDefinitions<S>(
  dir: string,
  kind: 'ComponentDefinition' | 'TraitDefinition',
  validate: (
    value: unknown,
  ) => { ok: true; value: unknown } | { ok: false; errors: { path: string; message: string }[] },
): CatalogDefinition<S>[] {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') || file.endsWith('.json'))
    .sort();
  return files.map((file) => {
    const where = join(dir, file);
    const text = readFileSync(where, 'utf8');
    const object = (file.endsWith('.json') ? JSON.parse(text) : parse(text)) as Partial<
      CatalogDefinition<unknown>
    > | null;
    const name = file.slice(0, file.lastIndexOf('.'));
    const problems: string[] = [];
    if (object?.apiVersion !== API_VERSION) problems.push(`apiVersion must be ${API_VERSION}`);
    if (object?.kind !== kind) problems.push(`kind must be ${kind}`);
    if (object?.metadata?.name !== name) problems.push(`metadata.name must be ${name}, as the file is named`);
    if (object?.metadata?.labels?.[BUILTIN] !== 'true')
      problems.push(`metadata.labels must have ${BUILTIN}: "true"`);
    const checked = validate(object?.spec);
    if (!checked.ok) problems.push(...checked.errors.map((e) => `spec${e.path}: ${e.message}`));
    if (problems.length > 0)
      throw new Error(`built-in definition ${where} is invalid: ${problems.join('; ')}`);
    return object as CatalogDefinition<S>;
  });
}
