import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  componentSnippet,
  describeSchema,
  fieldPathOf,
  fieldRules,
  formValuesOf,
  objectIsSet,
  pointerSegments,
  propertiesOf,
  traitSnippet,
  type ArrayField,
  type ObjectField,
} from './schema-form';

/** A webservice-like schema with every shape the form supports. */
const schema = {
  type: 'object',
  required: ['image'],
  properties: {
    image: { type: 'string', description: 'Container image', minLength: 1, pattern: '^[a-z0-9./:-]+$' },
    replicas: { type: 'integer', default: 1, minimum: 0, maximum: 100 },
    cpu: { type: 'number', title: 'CPU cores' },
    expose: { type: 'boolean', default: false },
    protocol: { type: 'string', enum: ['TCP', 'UDP'], default: 'TCP' },
    nullableNote: { type: ['string', 'null'] },
    args: { type: 'array', items: { type: 'string' } },
    ports: {
      type: 'array',
      items: {
        type: 'object',
        required: ['port'],
        properties: { port: { type: 'integer' }, name: { type: 'string' } },
      },
    },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    resources: {
      type: 'object',
      properties: {
        limits: { type: 'object', properties: { memory: { type: 'string', default: '256Mi' } } },
      },
    },
    free: { type: 'object' },
    either: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  },
};

describe('describeSchema', () => {
  const fields = describeSchema(schema);
  const byKey = (key: string) => fields.find((field) => field.key === key);

  it('reads each property into a field of the right kind, in order', () => {
    expect(fields.map((field) => [field.key, field.type])).toEqual([
      ['image', 'string'],
      ['replicas', 'integer'],
      ['cpu', 'number'],
      ['expose', 'boolean'],
      ['protocol', 'enum'],
      ['nullableNote', 'string'],
      ['args', 'array'],
      ['ports', 'array'],
      ['env', 'map'],
      ['resources', 'object'],
      ['free', 'yaml'],
      ['either', 'yaml'],
    ]);
  });

  it('keeps required, defaults, titles, descriptions and limits', () => {
    expect(byKey('image')).toMatchObject({ required: true, description: 'Container image', minLength: 1 });
    expect(byKey('replicas')).toMatchObject({ required: false, default: 1, minimum: 0, maximum: 100 });
    expect(byKey('cpu')?.label).toBe('CPU cores');
    expect(byKey('protocol')).toMatchObject({ options: ['TCP', 'UDP'], default: 'TCP' });
    expect(byKey('env')).toMatchObject({ valueType: 'string' });
  });

  it('describes array items: scalars, and objects with their own required fields', () => {
    expect((byKey('args') as ArrayField).item.type).toBe('string');
    const ports = byKey('ports') as ArrayField;
    expect(ports.item.type).toBe('object');
    expect((ports.item as ObjectField).fields.map((field) => [field.key, field.required])).toEqual([
      ['port', true],
      ['name', false],
    ]);
  });

  it('gives no fields for a schema that is not an object with properties', () => {
    expect(describeSchema(undefined)).toEqual([]);
    expect(describeSchema({ type: 'string' })).toEqual([]);
  });
});

describe('formValuesOf and propertiesOf', () => {
  const fields = describeSchema(schema);

  it('starts from the defaults, nested ones included', () => {
    expect(formValuesOf(fields)).toEqual({
      replicas: 1,
      expose: false,
      protocol: 'TCP',
      resources: { limits: { memory: '256Mi' } },
    });
  });

  it('turns the defaults alone back into properties, without the optional objects left alone', () => {
    expect(propertiesOf(fields, formValuesOf(fields))).toEqual({
      replicas: 1,
      expose: false,
      protocol: 'TCP',
    });
  });

  it('round-trips properties of every shape through the form', () => {
    const properties = {
      image: 'nginx:1.27',
      replicas: 3,
      cpu: 0.5,
      expose: true,
      protocol: 'UDP',
      args: ['--port', '8080'],
      ports: [{ port: 80, name: 'http' }, { port: 443 }],
      env: { LOG_LEVEL: 'debug', MODE: 'prod' },
      resources: { limits: { memory: '1Gi' } },
      free: { anything: [1, 2], nested: { ok: true } },
      either: 7,
    };
    const values = formValuesOf(fields, properties);
    expect(values['env']).toEqual([
      { key: 'LOG_LEVEL', value: 'debug' },
      { key: 'MODE', value: 'prod' },
    ]);
    expect(typeof values['free']).toBe('string');
    expect(propertiesOf(fields, values)).toEqual(properties);
  });

  it('leaves out what the user left empty, so that the definition decides', () => {
    const properties = propertiesOf(fields, {
      image: 'nginx',
      cpu: null,
      nullableNote: '',
      args: ['a', '', undefined],
      env: [{ key: ' A ', value: '1' }, { key: '', value: 'dropped' }, {}],
      resources: { limits: { memory: undefined } },
      free: '   ',
      ports: [],
    });
    expect(properties).toEqual({ image: 'nginx', args: ['a'], env: { A: '1' } });
  });

  it('keeps the text of a YAML field that does not parse, for the rule to report', () => {
    expect(propertiesOf(fields, { free: 'a: [' })).toEqual({ free: 'a: [' });
  });
});

describe('optional objects', () => {
  // Like the built-in webservice's env: a value, or a reference whose own fields are required.
  const fields = describeSchema({
    type: 'object',
    properties: {
      valueFrom: {
        type: 'object',
        properties: {
          secretKeyRef: {
            type: 'object',
            required: ['name', 'key'],
            properties: { name: { type: 'string' }, key: { type: 'string' } },
          },
        },
      },
      probe: {
        type: 'object',
        properties: { path: { type: 'string', default: '/healthz' }, port: { type: 'integer' } },
      },
      affinity: {
        type: 'object',
        properties: { required: { type: 'array', items: { type: 'string' }, default: [] } },
      },
    },
  });
  const field = (key: string) => fields.find((candidate) => candidate.key === key) as ObjectField;

  it('leaves out an optional object that holds only its defaults', () => {
    const untouched = formValuesOf(fields);
    expect(untouched).toEqual({
      valueFrom: { secretKeyRef: {} },
      probe: { path: '/healthz' },
      affinity: { required: [] },
    });
    expect(propertiesOf(fields, untouched)).toEqual({});
    expect(objectIsSet(field('probe'), untouched['probe'])).toBe(false);
  });

  it('keeps it once the user sets something in it, defaults included', () => {
    const values = { ...formValuesOf(fields), probe: { path: '/healthz', port: 8080 } };
    expect(propertiesOf(fields, values)).toEqual({ probe: { path: '/healthz', port: 8080 } });
    const nested = { valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } };
    expect(objectIsSet(field('valueFrom'), nested['valueFrom'])).toBe(true);
    expect(propertiesOf(fields, nested)).toEqual(nested);
  });

  it('requires the required fields of an optional object only once it is set', async () => {
    const secretKeyRef = (field('valueFrom').fields[0] as ObjectField).fields;
    const name = secretKeyRef[0];
    if (!name) throw new Error('no field');
    let set = false;
    const [rule] = fieldRules(name, () => set);
    expect(rule?.required).toBeUndefined();
    await expect(rule?.validator?.({}, undefined)).resolves.toBeUndefined();
    set = true;
    await expect(rule?.validator?.({}, '  ')).rejects.toThrow('name is required');
    await expect(rule?.validator?.({}, 'db')).resolves.toBeUndefined();
  });
});

describe('fieldRules', () => {
  const fields = describeSchema(schema);
  const field = (key: string) => {
    const found = fields.find((candidate) => candidate.key === key);
    if (!found) throw new Error(key);
    return found;
  };

  it('requires required fields and carries the limits', () => {
    const image = fieldRules(field('image'));
    expect(image[0]).toMatchObject({ required: true });
    expect(image.some((rule) => rule.min === 1 && rule.type === 'string')).toBe(true);
    const pattern = image.find((rule) => rule.pattern)?.pattern;
    expect(pattern?.test('nginx:1.27')).toBe(true);
    expect(pattern?.test('NGINX')).toBe(false);
    expect(fieldRules(field('replicas')).map((rule) => [rule.type, rule.min, rule.max])).toEqual([
      ['integer', undefined, undefined],
      ['number', 0, undefined],
      ['number', undefined, 100],
    ]);
    expect(fieldRules(field('cpu'))).toEqual([]);
  });

  it('checks list sizes with validators, as antd lists need', async () => {
    const [tags] = describeSchema({
      type: 'object',
      required: ['tags'],
      properties: { tags: { type: 'array', items: { type: 'string' }, maxItems: 2 } },
    });
    if (!tags) throw new Error('no field');
    const rules = fieldRules(tags);
    expect(rules).toHaveLength(1);
    expect(rules[0]?.required).toBeUndefined();
    await expect(rules[0]?.validator?.({}, [])).rejects.toThrow('at least 1');
    await expect(rules[0]?.validator?.({}, ['a', 'b'])).resolves.toBeUndefined();
    await expect(rules[0]?.validator?.({}, ['a', 'b', 'c'])).rejects.toThrow('at most 2');
    expect(fieldRules(field('args'))).toEqual([]);
  });

  it('rejects YAML that does not parse', async () => {
    const [rule] = fieldRules(field('free'));
    await expect(rule?.validator?.({}, 'a: 1')).resolves.toBeUndefined();
    await expect(rule?.validator?.({}, 'a: [')).rejects.toThrow(/free/);
  });
});

describe('error paths', () => {
  const fields = describeSchema(schema);

  it('splits JSON pointers, unescaping and reading indexes as numbers', () => {
    expect(pointerSegments('/spec/components/0/traits/12/properties/a~1b~0c')).toEqual([
      'spec',
      'components',
      0,
      'traits',
      12,
      'properties',
      'a/b~c',
    ]);
  });

  it('finds the deepest field the form has for a path', () => {
    expect(fieldPathOf(fields, ['replicas'])).toEqual(['replicas']);
    expect(fieldPathOf(fields, ['resources', 'limits', 'memory'])).toEqual(['resources', 'limits', 'memory']);
    expect(fieldPathOf(fields, ['resources', 'limits', 'cpu'])).toEqual(['resources', 'limits']);
    expect(fieldPathOf(fields, ['ports', 1, 'port'])).toEqual(['ports', 1, 'port']);
    expect(fieldPathOf(fields, ['args', 0])).toEqual(['args', 0]);
    expect(fieldPathOf(fields, ['env', 'LOG_LEVEL'])).toEqual(['env']);
    expect(fieldPathOf(fields, ['unknown'])).toBeUndefined();
  });
});

describe('snippets', () => {
  it('writes a component with its properties as an application carries it', () => {
    const text = componentSnippet('api', 'webservice', { image: 'nginx', replicas: 2 });
    expect(parse(text)).toEqual({
      components: [{ name: 'api', type: 'webservice', properties: { image: 'nginx', replicas: 2 } }],
    });
  });

  it('writes a trait, without properties when it has none', () => {
    expect(parse(traitSnippet('scaler', { replicas: 3 }))).toEqual({
      traits: [{ type: 'scaler', properties: { replicas: 3 } }],
    });
    expect(parse(traitSnippet('expose', {}))).toEqual({ traits: [{ type: 'expose' }] });
    expect(parse(componentSnippet('', 'worker', {}))).toEqual({
      components: [{ name: 'my-component', type: 'worker' }],
    });
  });
});
