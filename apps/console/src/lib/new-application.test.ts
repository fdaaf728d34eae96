import { describe, expect, it } from 'vitest';
import {
  fieldOfApplicationError,
  newApplicationResource,
  type DefinitionFields,
  type NewApplicationValues,
} from './new-application';
import { describeSchema } from './schema-form';

const webservice = describeSchema({
  type: 'object',
  required: ['image'],
  properties: {
    image: { type: 'string' },
    port: { type: 'integer', default: 80 },
    env: { type: 'object', additionalProperties: { type: 'string' } },
  },
});
const scaler = describeSchema({ type: 'object', properties: { replicas: { type: 'integer', minimum: 1 } } });
const definitions: DefinitionFields = {
  component: (type) => (type === 'webservice' ? webservice : undefined),
  trait: (type) => (type === 'scaler' ? scaler : type === 'expose' ? [] : undefined),
};

const values: NewApplicationValues = {
  team: 'payments',
  name: ' checkout ',
  namespace: '',
  clusters: ['hz-1', 'hz-2'],
  environments: [],
  components: [
    {
      name: 'api',
      type: 'webservice',
      properties: { image: 'nginx', port: 80, env: [{ key: 'MODE', value: 'prod' }] },
      traits: [
        { type: 'expose', properties: {} },
        { type: 'scaler', properties: { replicas: 0 } },
      ],
      dependsOn: [],
    },
    { name: 'db', type: 'postgres', properties: { ignored: true } },
  ],
};

describe('newApplicationResource', () => {
  it('builds the Application the form describes', () => {
    expect(newApplicationResource(values, definitions)).toEqual({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'checkout', team: 'payments' },
      spec: {
        components: [
          {
            name: 'api',
            type: 'webservice',
            properties: { image: 'nginx', port: 80, env: { MODE: 'prod' } },
            traits: [{ type: 'expose' }, { type: 'scaler', properties: { replicas: 0 } }],
          },
          // A type the catalog does not have: nothing to read the properties with; the server names it.
          { name: 'db', type: 'postgres' },
        ],
        topology: { clusters: ['hz-1', 'hz-2'], namespace: 'default' },
      },
    });
  });
});

describe('fieldOfApplicationError', () => {
  const field = (pointer: string) => fieldOfApplicationError(pointer, values, definitions);

  it('puts property errors on the property field of the component or trait', () => {
    expect(field('/spec/components/0/traits/1/properties/replicas')).toEqual([
      'components',
      0,
      'traits',
      1,
      'properties',
      'replicas',
    ]);
    expect(field('/spec/components/0/properties/image')).toEqual(['components', 0, 'properties', 'image']);
    expect(field('/spec/components/0/properties/env/MODE')).toEqual(['components', 0, 'properties', 'env']);
  });

  it('falls back to the type picker for what the form has no field for', () => {
    expect(field('/spec/components/0/properties/unknown')).toEqual(['components', 0, 'type']);
    expect(field('/spec/components/0/traits/0')).toEqual(['components', 0, 'traits', 0, 'type']);
    expect(field('/spec/components/1/properties/ignored')).toEqual(['components', 1, 'type']);
    expect(field('/spec/components/0')).toEqual(['components', 0, 'type']);
  });

  it('maps metadata, topology and component fields', () => {
    expect(field('/metadata/name')).toEqual(['name']);
    expect(field('body/metadata/team')).toEqual(['team']);
    expect(field('/spec/topology/namespace')).toEqual(['namespace']);
    expect(field('/spec/topology/clusters/1')).toEqual(['clusters']);
    expect(field('/spec/components/1/dependsOn/0')).toEqual(['components', 1, 'dependsOn']);
    expect(field('/spec/overrides/0')).toBeUndefined();
    expect(field('/spec/components')).toBeUndefined();
  });
});
