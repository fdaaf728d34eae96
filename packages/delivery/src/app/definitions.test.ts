import { describe, expect, it } from 'vitest';
import type { ApplicationSpec, Resource } from '@gantry/model';
import type { ResourceKey } from '@gantry/store';
import { DefinitionSource } from './definitions.ts';

/** Stored definitions by `kind/name`, counting the bodies read. */
function store() {
  const objects = new Map<string, Resource>();
  let version = 0;
  const counts = { gets: 0 };
  const put = (kind: string, name: string, spec: Record<string, unknown>) => {
    version += 1;
    objects.set(`${kind}/${name}`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind,
      metadata: {
        name,
        uid: name,
        resourceVersion: String(version),
        generation: version,
        creationTimestamp: '',
        updatedTimestamp: '',
      },
      spec,
    });
  };
  const repository = {
    get: (key: ResourceKey) => {
      counts.gets += 1;
      return Promise.resolve(structuredClone(objects.get(`${key.kind}/${key.name}`)));
    },
    list: () => Promise.reject(new Error('not used')),
    versions: (kind: string, _team: string, names: readonly string[]) =>
      Promise.resolve(
        new Map(
          names.flatMap((name) => {
            const found = objects.get(`${kind}/${name}`);
            return found ? [[name, Number(found.metadata.resourceVersion)] as [string, number]] : [];
          }),
        ),
      ),
  };
  return {
    put,
    remove: (kind: string, name: string) => objects.delete(`${kind}/${name}`),
    repository,
    counts,
  };
}

const spec = {
  components: [
    { name: 'web', type: 'webservice', properties: {}, traits: [{ type: 'scaler', properties: {} }] },
  ],
} as unknown as ApplicationSpec;

describe('DefinitionSource', () => {
  it('parses a definition again only when its version changed, and keys the answer by versions', async () => {
    const { put, remove, repository, counts } = store();
    put('ComponentDefinition', 'webservice', { version: '1.0.0', workload: 'a' });
    put('TraitDefinition', 'scaler', { version: '1.0.0' });
    const source = new DefinitionSource(repository as never);

    const first = await source.forSpec(spec);
    expect(counts.gets).toBe(2);
    const again = await source.forSpec(spec);
    expect(counts.gets).toBe(2);
    expect(again.key).toBe(first.key);
    expect(again.snapshot.components.webservice).toBe(first.snapshot.components.webservice);

    put('ComponentDefinition', 'webservice', { version: '1.1.0', workload: 'b' });
    const changed = await source.forSpec(spec);
    expect(counts.gets).toBe(3);
    expect(changed.key).not.toBe(first.key);
    expect(changed.snapshot.components.webservice?.spec).toEqual({ version: '1.1.0', workload: 'b' });
    expect(changed.snapshot.traits.scaler).toBe(first.snapshot.traits.scaler);

    remove('TraitDefinition', 'scaler');
    const gone = await source.forSpec(spec);
    expect(Object.keys(gone.snapshot.traits)).toEqual([]);
    expect(gone.set.traits.has('scaler')).toBe(false);
    expect(gone.key).not.toBe(changed.key);
  });
});
