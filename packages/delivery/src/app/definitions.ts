import type {
  ApplicationRevisionSpec,
  ApplicationSpec,
  ComponentDefinitionSpec,
  Resource,
  TraitDefinitionSpec,
} from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import type { DefinitionSet } from '../compose/compose.ts';
import { definitionsUsed } from '../check/trait-check.ts';

export type DefinitionSnapshot = ApplicationRevisionSpec['definitions'];

type DefinitionKind = 'ComponentDefinition' | 'TraitDefinition';
type SnapshotEntry = DefinitionSnapshot['components'][string];

/** What `forSpec` answers: the definitions as a set and as a snapshot, and a key that changes whenever any of them does. */
export interface CurrentDefinitions {
  set: DefinitionSet;
  snapshot: DefinitionSnapshot;
  /** `kind/name@resourceVersion` of every definition found, sorted: equal keys, equal definitions. */
  key: string;
}

/**
 * Reads the definitions an application uses from the store, and turns revision snapshots back into sets.
 * Parsed definitions are kept by resourceVersion: a read asks the store only for the versions of the ones
 * it needs and parses again only those that changed, so every reconcile sees the stored definitions
 * without paying for parsing (and hashing, see RevisionManager) the same large documents each time.
 */
export class DefinitionSource {
  readonly #parsed = new Map<string, { version: number; entry: SnapshotEntry }>();

  constructor(private readonly repository: Pick<ResourceRepository, 'get' | 'list' | 'versions'>) {}

  /** The current definitions `spec` names (missing ones are simply absent: the trait check reports them). */
  async forSpec(spec: ApplicationSpec): Promise<CurrentDefinitions> {
    const used = definitionsUsed(spec);
    const [components, traits] = await Promise.all([
      this.#current('ComponentDefinition', [...used.components]),
      this.#current('TraitDefinition', [...used.traits]),
    ]);
    const snapshot = sortSnapshot({
      components: Object.fromEntries(components.entries),
      traits: Object.fromEntries(traits.entries),
    });
    return {
      set: fromSnapshot(snapshot),
      snapshot,
      key: [...components.keys, ...traits.keys].sort().join(','),
    };
  }

  async #current(
    kind: DefinitionKind,
    names: readonly string[],
  ): Promise<{ entries: [string, SnapshotEntry][]; keys: string[] }> {
    const versions = await this.repository.versions(kind, '', names);
    const entries: [string, SnapshotEntry][] = [];
    const keys: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        const id = `${kind}/${name}`;
        const version = versions.get(name);
        if (version === undefined) {
          this.#parsed.delete(id);
          return;
        }
        let known = this.#parsed.get(id);
        if (known?.version !== version) {
          const found = (await this.repository.get({ kind, team: '', name })) as
            Resource<ComponentDefinitionSpec | TraitDefinitionSpec> | undefined;
          if (!found) return; // deleted since the versions were read
          known = {
            version: Number(found.metadata.resourceVersion),
            entry: { version: found.spec.version, generation: found.metadata.generation, spec: found.spec },
          };
          this.#parsed.set(id, known);
        }
        entries.push([name, known.entry]);
        keys.push(`${id}@${known.version}`);
      }),
    );
    return { entries, keys };
  }

  /** Every definition, for checks that must know the full catalog (unknown-type messages list it). */
  async all(): Promise<DefinitionSet> {
    const snapshot: DefinitionSnapshot = { components: {}, traits: {} };
    for (const [kind, into] of [
      ['ComponentDefinition', snapshot.components],
      ['TraitDefinition', snapshot.traits],
    ] as const) {
      const page = await this.repository.list({ kind, limit: 10_000 });
      for (const item of page.items) {
        const found = JSON.parse(item.json) as Resource<{ version: string }>;
        into[found.metadata.name] = {
          version: found.spec.version,
          generation: found.metadata.generation,
          spec: found.spec,
        };
      }
    }
    return fromSnapshot(snapshot);
  }
}

export function fromSnapshot(snapshot: DefinitionSnapshot): DefinitionSet {
  return {
    components: new Map(
      Object.entries(snapshot.components).map(([name, d]) => [
        name,
        { name, spec: d.spec as ComponentDefinitionSpec },
      ]),
    ),
    traits: new Map(
      Object.entries(snapshot.traits).map(([name, d]) => [
        name,
        { name, spec: d.spec as TraitDefinitionSpec },
      ]),
    ),
  };
}

/** Keys in a fixed order, so that equal snapshots hash equally. */
function sortSnapshot(snapshot: DefinitionSnapshot): DefinitionSnapshot {
  const sorted = (record: DefinitionSnapshot['components']) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  return { components: sorted(snapshot.components), traits: sorted(snapshot.traits) };
}

/** Replaces one definition in a set (to check applications against a proposed update). */
export function withDefinition(
  set: DefinitionSet,
  kind: 'ComponentDefinition' | 'TraitDefinition',
  name: string,
  spec: unknown | undefined,
): DefinitionSet {
  const components = new Map(set.components);
  const traits = new Map(set.traits);
  const target = kind === 'ComponentDefinition' ? components : traits;
  if (spec === undefined) target.delete(name);
  else (target as Map<string, { name: string; spec: unknown }>).set(name, { name, spec });
  return { components, traits } as DefinitionSet;
}
