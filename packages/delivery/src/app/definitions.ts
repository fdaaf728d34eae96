import type { ApplicationRevisionSpec, ApplicationSpec, ComponentDefinitionSpec, Resource, TraitDefinitionSpec } from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import type { DefinitionSet } from '../compose/compose.ts';
import { definitionsUsed } from '../check/trait-check.ts';

export type DefinitionSnapshot = ApplicationRevisionSpec['definitions'];

/** Reads the definitions an application uses from the store, and turns revision snapshots back into sets. */
export class DefinitionSource {
  constructor(private readonly repository: Pick<ResourceRepository, 'get' | 'list'>) {}

  /** The current definitions `spec` names (missing ones are simply absent: the trait check reports them). */
  async forSpec(spec: ApplicationSpec): Promise<{ set: DefinitionSet; snapshot: DefinitionSnapshot }> {
    const used = definitionsUsed(spec);
    const snapshot: DefinitionSnapshot = { components: {}, traits: {} };
    await Promise.all([
      ...[...used.components].map(async (name) => {
        const found = (await this.repository.get({ kind: 'ComponentDefinition', team: '', name })) as Resource<ComponentDefinitionSpec> | undefined;
        if (found) snapshot.components[name] = { version: found.spec.version, generation: found.metadata.generation, spec: found.spec };
      }),
      ...[...used.traits].map(async (name) => {
        const found = (await this.repository.get({ kind: 'TraitDefinition', team: '', name })) as Resource<TraitDefinitionSpec> | undefined;
        if (found) snapshot.traits[name] = { version: found.spec.version, generation: found.metadata.generation, spec: found.spec };
      }),
    ]);
    return { set: fromSnapshot(snapshot), snapshot: sortSnapshot(snapshot) };
  }

  /** Every definition, for checks that must know the full catalog (unknown-type messages list it). */
  async all(): Promise<DefinitionSet> {
    const snapshot: DefinitionSnapshot = { components: {}, traits: {} };
    for (const [kind, into] of [['ComponentDefinition', snapshot.components], ['TraitDefinition', snapshot.traits]] as const) {
      const page = await this.repository.list({ kind, limit: 10_000 });
      for (const item of page.items) {
        const found = JSON.parse(item.json) as Resource<{ version: string }>;
        into[found.metadata.name] = { version: found.spec.version, generation: found.metadata.generation, spec: found.spec };
      }
    }
    return fromSnapshot(snapshot);
  }
}

export function fromSnapshot(snapshot: DefinitionSnapshot): DefinitionSet {
  return {
    components: new Map(Object.entries(snapshot.components).map(([name, d]) => [name, { name, spec: d.spec as ComponentDefinitionSpec }])),
    traits: new Map(Object.entries(snapshot.traits).map(([name, d]) => [name, { name, spec: d.spec as TraitDefinitionSpec }])),
  };
}

/** Keys in a fixed order, so that equal snapshots hash equally. */
function sortSnapshot(snapshot: DefinitionSnapshot): DefinitionSnapshot {
  const sorted = (record: DefinitionSnapshot['components']) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  return { components: sorted(snapshot.components), traits: sorted(snapshot.traits) };
}

/** Replaces one definition in a set (to check applications against a proposed update). */
export function withDefinition(set: DefinitionSet, kind: 'ComponentDefinition' | 'TraitDefinition', name: string, spec: unknown | undefined): DefinitionSet {
  const components = new Map(set.components);
  const traits = new Map(set.traits);
  const target = kind === 'ComponentDefinition' ? components : traits;
  if (spec === undefined) target.delete(name);
  else (target as Map<string, { name: string; spec: unknown }>).set(name, { name, spec });
  return { components, traits } as DefinitionSet;
}
