import type { ComponentDefinitionSpec, ComponentSpec, TraitDefinitionSpec } from '@gantry/model';
import { describe, expect, it } from 'vitest';
import { deploymentHealthPolicy } from '../catalog/health-policies.ts';
import { createCelEngine } from '../cel-environment.ts';
import { HelmError, type HelmRenderInput } from '../helm/helm-renderer.ts';
import {
  Composer,
  type ComposeResult,
  type DefinitionRef,
  type DefinitionSet,
  type Manifest,
  type RenderContext,
  type RenderedObject,
} from './compose.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

const context: RenderContext = {
  app: 'shop',
  team: 'payments',
  component: 'api',
  revision: 7,
  cluster: 'east',
  namespace: 'prod',
  environment: 'production',
};
const stamped = {
  'app.gantry.dev/team': 'payments',
  'app.gantry.dev/name': 'shop',
  'app.gantry.dev/component': 'api',
};

function componentDefinition(
  name: string,
  spec: Partial<ComponentDefinitionSpec> = {},
): DefinitionRef<ComponentDefinitionSpec> {
  return {
    name,
    spec: {
      version: '1.0.0',
      description: '',
      workload: { apiVersion: 'apps/v1', kind: 'Deployment', podTemplatePath: '/spec/template' },
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['image'],
        properties: {
          image: { type: 'string', minLength: 1 },
          replicas: { type: 'integer', minimum: 1, default: 2 },
          debug: { type: 'boolean', default: false },
        },
      },
      templates: [
        {
          name: 'deployment',
          template: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: '${context.component}', labels: { tier: 'web' } },
            spec: {
              replicas: '${parameter.replicas}',
              selector: { matchLabels: '${context.labels}' },
              template: {
                spec: {
                  containers: [
                    {
                      name: '${context.component}',
                      image: '${parameter.image}',
                      env: [{ name: 'ENV', value: '${context.environment}' }],
                    },
                  ],
                },
              },
            },
          },
        },
        {
          name: 'debug-config',
          includeWhen: '${parameter.debug}',
          template: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: '${context.component}-debug' },
            data: { revision: 'r${context.revision}', cluster: '${context.cluster}' },
          },
        },
      ],
      health: { policy: 'true' },
      ...spec,
    },
  };
}

function traitDefinition(
  name: string,
  spec: Partial<TraitDefinitionSpec> = {},
): DefinitionRef<TraitDefinitionSpec> {
  return {
    name,
    spec: {
      version: '1.0.0',
      description: '',
      appliesToWorkloads: ['*'],
      conflictsWith: [],
      podDisruptive: false,
      stage: 'post',
      schema: { type: 'object', additionalProperties: false, properties: {} },
      outputs: [],
      ...spec,
    },
  };
}

const traits: DefinitionRef<TraitDefinitionSpec>[] = [
  traitDefinition('replicas', {
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['count'],
      properties: { count: { type: 'integer', minimum: 0 } },
    },
    patch: { spec: { replicas: '${parameter.count}' } },
  }),
  traitDefinition('env', {
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: { name: { type: 'string' }, value: { type: 'string' } },
    },
    podPatch: {
      spec: {
        containers: [
          { name: '${context.component}', env: [{ name: '${parameter.name}', value: '${parameter.value}' }] },
        ],
      },
    },
  }),
  traitDefinition('sidecar', {
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: { name: { type: 'string', default: 'proxy' } },
    },
    podPatch: { spec: { containers: [{ name: '${parameter.name}', image: 'envoy:1' }] } },
  }),
  traitDefinition('sidecar-without-image', {
    podPatch: { spec: { containers: [{ name: 'helper', args: ['x'] }] } },
  }),
  traitDefinition('service', {
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        internal: { type: 'boolean', default: true },
      },
    },
    outputs: [
      {
        name: 'service',
        template: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: '${context.component}',
            annotations: { internal: '${string(parameter.internal)}' },
          },
          spec: { selector: '${context.labels}', ports: [{ port: '${parameter.port}' }] },
        },
      },
    ],
    health: { policy: 'has(spec.clusterIP)' },
  }),
  traitDefinition('secrets', {
    stage: 'pre',
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: { names: { type: 'array', items: { type: 'string' } } },
    },
    outputs: [
      {
        name: 'secrets',
        template: {
          apiVersion: 'v1',
          kind: 'List',
          items: "${parameter.names.map(n, {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': n}})}",
        },
      },
    ],
  }),
  traitDefinition('broken', {
    outputs: [
      {
        name: 'thing',
        template: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: '${context.component}' },
          data: { a: '${parameter.missing}', b: "${'x' + 1}" },
        },
      },
    ],
  }),
  traitDefinition('named', {
    schema: { type: 'object', additionalProperties: false, properties: { name: { type: 'string' } } },
    outputs: [
      {
        name: 'config',
        template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '${parameter.name}' } },
      },
    ],
  }),
];

function definitions(extraComponents: DefinitionRef<ComponentDefinitionSpec>[] = []): DefinitionSet {
  const components = [componentDefinition('server'), ...extraComponents];
  return {
    components: new Map(components.map((d) => [d.name, d])),
    traits: new Map(traits.map((d) => [d.name, d])),
  };
}

function api(spec: Partial<ComponentSpec> = {}): ComponentSpec {
  return { name: 'api', type: 'server', properties: { image: 'shop/api:1' }, ...spec };
}

function objectsOf(result: ComposeResult): RenderedObject[] {
  if (!result.ok) throw new Error(`compose failed: ${JSON.stringify(result.errors, null, 2)}`);
  return result.objects;
}

function errorsOf(result: ComposeResult) {
  if (result.ok) throw new Error('compose succeeded, errors were expected');
  return result.errors;
}

function find(objects: RenderedObject[], output: string): Record<string, any> {
  const found = objects.find((o) => o.output === output);
  if (!found) throw new Error(`no output ${output} in ${objects.map((o) => o.output).join(', ')}`);
  return found.object;
}

const composer = () => new Composer({ engine: createCelEngine() });

describe('Composer', () => {
  it('renders the workload with defaulted properties and the context, and stamps Gantry labels everywhere', async () => {
    const result = await composer().compose(
      definitions(),
      api({ properties: { image: 'shop/api:1', debug: true } }),
      context,
    );
    const objects = objectsOf(result);
    expect(objects.map((o) => [o.output, o.stage, o.workload, o.health])).toEqual([
      ['workload', 'main', true, 'true'],
      ['debug-config', 'main', false, undefined],
    ]);
    const deployment = find(objects, 'workload');
    expect(deployment.metadata).toEqual({
      name: 'api',
      labels: { tier: 'web', ...stamped },
      annotations: { 'app.gantry.dev/revision': '7' },
    });
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.selector.matchLabels).toEqual(stamped);
    // The pod template gets the labels, but not the revision: a new revision must not restart pods by itself.
    expect(deployment.spec.template.metadata).toEqual({ labels: stamped });
    expect(deployment.spec.template.spec.containers[0].env).toEqual([{ name: 'ENV', value: 'production' }]);
    expect(find(objects, 'debug-config').data).toEqual({ revision: 'r7', cluster: 'east' });
    expect(find(objects, 'debug-config').metadata.labels).toEqual(stamped);
  });

  it('leaves out a template whose includeWhen is false', async () => {
    const objects = objectsOf(await composer().compose(definitions(), api(), context));
    expect(objects.map((o) => o.output)).toEqual(['workload']);
  });

  it('does not change the properties or the definitions it is given', async () => {
    const set = definitions();
    const before = structuredClone([...set.components.values(), ...set.traits.values()]);
    const component = api({
      traits: [
        { type: 'service', properties: { port: 80 } },
        { type: 'env', properties: { name: 'A', value: '1' } },
      ],
    });
    const copy = structuredClone(component);
    objectsOf(await composer().compose(set, component, context));
    expect(component).toEqual(copy);
    expect([...set.components.values(), ...set.traits.values()]).toEqual(before);
  });

  it('merges trait patches into the workload and pod patches into its pod template, keyed lists by name', async () => {
    const component = api({
      traits: [
        { type: 'replicas', properties: { count: 5 } },
        { type: 'env', properties: { name: 'ENV', value: 'overridden' } },
        { type: 'env', properties: { name: 'B', value: '2' } },
        { type: 'sidecar' },
      ],
    });
    const deployment = find(
      objectsOf(await composer().compose(definitions(), component, context)),
      'workload',
    );
    expect(deployment.spec.replicas).toBe(5);
    expect(deployment.spec.template.spec.containers).toEqual([
      {
        name: 'api',
        image: 'shop/api:1',
        env: [
          { name: 'ENV', value: 'overridden' },
          { name: 'B', value: '2' },
        ],
      },
      { name: 'proxy', image: 'envoy:1' },
    ]);
  });

  it('renders trait outputs with the trait stage and health, ordered pre, main, post', async () => {
    const component = api({
      traits: [
        { type: 'service', properties: { port: 8080 } },
        { type: 'secrets', properties: { names: ['db', 'cache'] } },
      ],
    });
    const objects = objectsOf(await composer().compose(definitions(), component, context));
    expect(objects.map((o) => [o.output, o.stage, o.object.kind, o.object.metadata.name, o.health])).toEqual([
      ['trait/secrets/secrets/0', 'pre', 'Secret', 'db', undefined],
      ['trait/secrets/secrets/1', 'pre', 'Secret', 'cache', undefined],
      ['workload', 'main', 'Deployment', 'api', 'true'],
      ['trait/service/service', 'post', 'Service', 'api', 'has(spec.clusterIP)'],
    ]);
    const service = find(objects, 'trait/service/service');
    expect(service.spec).toEqual({ selector: stamped, ports: [{ port: 8080 }] });
    expect(service.metadata.annotations).toEqual({ internal: 'true', 'app.gantry.dev/revision': '7' });
    expect(find(objects, 'trait/secrets/secrets/1').metadata.labels).toEqual(stamped);
  });

  it('gives the same bytes for the same input', async () => {
    const component = api({ traits: [{ type: 'service', properties: { port: 80 } }, { type: 'sidecar' }] });
    const a = await composer().compose(definitions(), component, context);
    const c = composer();
    await c.compose(definitions(), api({ properties: { image: 'other', debug: true } }), context);
    const b = await c.compose(definitions(), structuredClone(component), context);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('reports unknown component and trait types together, at /type and /traits/N/type', async () => {
    const errors = errorsOf(
      await composer().compose(
        definitions(),
        api({
          type: 'mainframe',
          traits: [{ type: 'replicas', properties: { count: 1 } }, { type: 'teleport' }],
        }),
        context,
      ),
    );
    expect(errors).toEqual([
      { path: '/type', message: 'unknown component type "mainframe"' },
      { path: '/traits/1/type', message: 'unknown trait type "teleport"' },
    ]);
  });

  it('reports every bad property with its path in the component spec', async () => {
    const component = api({
      properties: { image: '', replicas: 'three', extra: 1 },
      traits: [
        { type: 'service', properties: { port: 70000 } },
        { type: 'replicas', properties: {} },
      ],
    });
    const errors = errorsOf(await composer().compose(definitions(), component, context));
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: '/properties/image', message: 'must NOT have fewer than 1 characters' },
        { path: '/properties/replicas', message: 'must be integer' },
        { path: '/properties/extra', message: 'unknown field' },
        { path: '/traits/0/properties/port', message: 'must be <= 65535' },
        { path: '/traits/1/properties/count', message: 'is required' },
      ]),
    );
    expect(errors).toHaveLength(5);
  });

  it('reports CEL errors with the definition, the output, the template path and the expression', async () => {
    const errors = errorsOf(
      await composer().compose(
        definitions(),
        api({ traits: [{ type: 'service', properties: { port: 80 } }, { type: 'broken' }] }),
        context,
      ),
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ path: '/traits/1', expression: 'parameter.missing' });
    expect(errors[0]!.message).toMatch(
      /^trait "broken", template "thing" at \/data\/a in \$\{parameter\.missing\}: .*missing/,
    );
    expect(errors[1]).toMatchObject({ path: '/traits/1', expression: "'x' + 1" });
    expect(errors[1]!.message).toMatch(/^trait "broken", template "thing" at \/data\/b in \$\{'x' \+ 1\}: /);
  });

  it('reports a CEL error of a component template at the empty path', async () => {
    const set = definitions([
      componentDefinition('typo', {
        templates: [
          {
            name: 'deployment',
            template: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: '${parameter.nmae}' } },
          },
        ],
      }),
    ]);
    const errors = errorsOf(await composer().compose(set, api({ type: 'typo' }), context));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: '', expression: 'parameter.nmae' });
    expect(errors[0]!.message).toMatch(
      /^component type "typo", template "deployment" at \/metadata\/name in \$\{parameter\.nmae\}: /,
    );
  });

  it('refuses an includeWhen that is not a bool, and one on the workload template', async () => {
    const set = definitions([
      componentDefinition('maybe', {
        templates: [
          {
            name: 'deployment',
            includeWhen: '${true}',
            template: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } },
          },
        ],
      }),
      componentDefinition('stringly', {
        templates: [
          {
            name: 'deployment',
            template: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } },
          },
          {
            name: 'extra',
            includeWhen: '${parameter.image}',
            template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
          },
        ],
      }),
    ]);
    expect(errorsOf(await composer().compose(set, api({ type: 'maybe' }), context))).toEqual([
      {
        path: '',
        message:
          'component type "maybe", template "deployment": the workload template (the first) cannot have includeWhen',
      },
    ]);
    expect(errorsOf(await composer().compose(set, api({ type: 'stringly' }), context))).toEqual([
      {
        path: '',
        message:
          'component type "stringly", includeWhen of template "extra": must give a bool, not "shop/api:1"',
      },
    ]);
  });

  it('refuses a pod patch on a component without podTemplatePath', async () => {
    const set = definitions([
      componentDefinition('raw', {
        workload: { apiVersion: 'v1', kind: 'ConfigMap' },
        templates: [
          { name: 'config', template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } },
        ],
      }),
    ]);
    const errors = errorsOf(
      await composer().compose(
        set,
        api({ type: 'raw', traits: [{ type: 'replicas', properties: { count: 1 } }, { type: 'sidecar' }] }),
        context,
      ),
    );
    expect(errors).toEqual([
      {
        path: '/traits/1',
        message:
          'trait "sidecar" patches the pod template, but component type "raw" (ConfigMap) has no podTemplatePath',
      },
    ]);
  });

  it('refuses a pod patch that adds a container without an image', async () => {
    const errors = errorsOf(
      await composer().compose(definitions(), api({ traits: [{ type: 'sidecar-without-image' }] }), context),
    );
    expect(errors).toEqual([
      {
        path: '/traits/0',
        message:
          'trait "sidecar-without-image": podPatch adds container "helper" without an image (the workload has no container of that name)',
      },
    ]);
  });

  it('refuses a rendered object with an invalid name, naming the output', async () => {
    const errors = errorsOf(
      await composer().compose(
        definitions(),
        api({ traits: [{ type: 'named', properties: { name: 'Bad_Name' } }] }),
        context,
      ),
    );
    expect(errors).toEqual([
      {
        path: '/traits/0',
        message:
          'trait "named", output "trait/named/config": ConfigMap name "Bad_Name" is not a valid name (lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, at most 253 characters)',
      },
    ]);
    const long = 'a'.repeat(254);
    const tooLong = errorsOf(
      await composer().compose(
        definitions(),
        api({ traits: [{ type: 'named', properties: { name: long } }] }),
        context,
      ),
    );
    expect(tooLong[0]!.message).toMatch(/is not a valid name/);
    const dotted = await composer().compose(
      definitions(),
      api({ traits: [{ type: 'named', properties: { name: 'a.b-c' } }] }),
      context,
    );
    expect(find(objectsOf(dotted), 'trait/named/config').metadata.name).toBe('a.b-c');
  });

  it('refuses rendered objects without apiVersion or kind, and an object rendered twice', async () => {
    const set = definitions([
      componentDefinition('kindless', {
        templates: [
          {
            name: 'deployment',
            template: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api' } },
          },
          { name: 'nothing', template: { apiVersion: 'v1', metadata: { name: 'x' } } },
          {
            name: 'again',
            template: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api' } },
          },
          {
            name: 'other-version',
            template: {
              apiVersion: 'v1',
              kind: 'List',
              items: [{ apiVersion: 'apps/v2', kind: 'Deployment', metadata: { name: 'api' } }, 5],
            },
          },
        ],
      }),
    ]);
    expect(errorsOf(await composer().compose(set, api({ type: 'kindless' }), context))).toEqual([
      { path: '', message: 'component type "kindless", output "nothing": kind must be a non-empty string' },
      {
        path: '',
        message:
          'component type "kindless", output "again": renders Deployment api, which output "workload" renders too',
      },
      {
        path: '',
        message:
          'component type "kindless", output "other-version/0": renders Deployment api, which output "workload" renders too',
      },
      {
        path: '',
        message: 'component type "kindless", output "other-version/1": renders a number, not an object',
      },
    ]);
  });

  it('expands a List template into its items; the first item of the first template is the workload', async () => {
    const set = definitions([
      componentDefinition('objects', {
        workload: { apiVersion: '*', kind: '*' },
        schema: { type: 'object', properties: { objects: { type: 'array' } } },
        templates: [
          { name: 'objects', template: { apiVersion: 'v1', kind: 'List', items: '${parameter.objects}' } },
        ],
        health: undefined,
      }),
    ]);
    const objects = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'db' },
        spec: { template: { metadata: { labels: { app: 'db' } } } },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'db-config', labels: { app: 'db' } },
        data: { a: '${not.evaluated}' },
      },
    ];
    const rendered = objectsOf(
      await composer().compose(set, api({ type: 'objects', properties: { objects } }), context),
    );
    expect(rendered.map((o) => [o.output, o.workload, o.object.kind, o.health])).toEqual([
      ['workload', true, 'Deployment', deploymentHealthPolicy],
      ['objects/1', false, 'ConfigMap', undefined],
    ]);
    expect(find(rendered, 'workload').spec.template.metadata.labels).toEqual({ app: 'db', ...stamped });
    expect(find(rendered, 'objects/1').metadata.labels).toEqual({ app: 'db', ...stamped });
    expect(find(rendered, 'objects/1').data).toEqual({ a: '${not.evaluated}' });
  });

  it('reports a definition whose schema does not compile at its type', async () => {
    const set = definitions([
      componentDefinition('bad-schema', { schema: { type: 'object', properties: { a: { type: 'strin' } } } }),
    ]);
    const errors = errorsOf(await composer().compose(set, api({ type: 'bad-schema' }), context));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('/type');
    expect(errors[0]!.message).toMatch(
      /^component type "bad-schema" \(1\.0\.0\) has a properties schema that does not compile: /,
    );
  });

  it('compiles each schema once for many applications, even from fresh copies of the definitions', async () => {
    const c = composer();
    for (let i = 0; i < 300; i += 1) {
      // As read from the store for each application: equal definitions, new objects.
      const set = structuredClone(definitions());
      objectsOf(
        await c.compose(set, api({ traits: [{ type: 'service', properties: { port: 80 + i } }] }), context),
      );
    }
    expect(c.schemaCompilations).toBe(2);
    const changed = definitions();
    (changed.traits.get('service')!.spec.schema.properties as Record<string, unknown>).port = {
      type: 'integer',
      maximum: 100,
    };
    errorsOf(
      await c.compose(changed, api({ traits: [{ type: 'service', properties: { port: 200 } }] }), context),
    );
    expect(c.schemaCompilations).toBe(3);
  });
});

describe('Composer with Helm charts', () => {
  const helmComponent = componentDefinition('chart', {
    workload: { apiVersion: '*', kind: '*' },
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['chart'],
      properties: {
        chart: { type: 'string' },
        version: { type: 'string' },
        values: { type: 'object', default: {} },
      },
    },
    templates: [],
    helm: {
      chart: '${parameter.chart}',
      version: '${has(parameter.version) ? parameter.version : null}',
      values: { $merge: '${parameter.values}', fullnameOverride: '${context.component}' },
    },
    health: undefined,
  });

  const chartObjects = (): Manifest[] => [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api-redis' } },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'api-redis', labels: { chart: 'redis' } },
      spec: { template: { metadata: {} } },
    },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api-exporter' }, spec: { template: {} } },
  ];

  function fakeHelm(render: (input: HelmRenderInput) => Promise<Manifest[]>) {
    const calls: HelmRenderInput[] = [];
    return {
      calls,
      helm: {
        render: (input: HelmRenderInput) => {
          calls.push(input);
          return render(input);
        },
      },
    };
  }

  it('renders the helm block, passes it to helm, and stamps what the chart renders', async () => {
    const { calls, helm } = fakeHelm(() => Promise.resolve(chartObjects()));
    const c = new Composer({ engine: createCelEngine(), helm });
    const component = api({
      type: 'chart',
      properties: {
        chart: 'oci://charts.example.com/redis',
        version: '1.2.3',
        values: { replicas: 3, fullnameOverride: 'ignored' },
      },
    });
    const objects = objectsOf(await c.compose(definitions([helmComponent]), component, context));
    expect(calls).toEqual([
      {
        chart: 'oci://charts.example.com/redis',
        version: '1.2.3',
        values: { replicas: 3, fullnameOverride: 'api' },
        releaseName: 'api',
        namespace: 'prod',
      },
    ]);
    expect(
      objects.map((o) => [
        o.output,
        o.stage,
        o.workload,
        o.health === undefined ? undefined : o.health.slice(0, 12),
      ]),
    ).toEqual([
      ['helm/Service/api-redis', 'main', false, undefined],
      ['helm/StatefulSet/api-redis', 'main', true, "{\n'healthy':"],
      ['helm/Deployment/api-exporter', 'main', false, "{\n'healthy':"],
    ]);
    expect(objects[2]!.health).toBe(deploymentHealthPolicy);
    const statefulSet = find(objects, 'helm/StatefulSet/api-redis');
    expect(statefulSet.metadata.labels).toEqual({ chart: 'redis', ...stamped });
    expect(statefulSet.metadata.annotations).toEqual({ 'app.gantry.dev/revision': '7' });
    expect(statefulSet.spec.template.metadata.labels).toEqual(stamped);
  });

  it("reports helm's failure, a missing helm, and trait patches on a chart", async () => {
    const failing = fakeHelm(() =>
      Promise.reject(
        new HelmError('chart "redis" version "9" not found', {
          reason: 'exit',
          stderr: 'Error: ...',
          exitCode: 1,
        }),
      ),
    );
    const component = api({ type: 'chart', properties: { chart: 'redis' } });
    expect(
      errorsOf(
        await new Composer({ engine: createCelEngine(), helm: failing.helm }).compose(
          definitions([helmComponent]),
          component,
          context,
        ),
      ),
    ).toEqual([
      {
        path: '',
        message:
          'component type "chart": helm could not render chart "redis": chart "redis" version "9" not found',
      },
    ]);
    expect(errorsOf(await composer().compose(definitions([helmComponent]), component, context))).toEqual([
      { path: '', message: 'component type "chart" renders a Helm chart, but no helm binary is configured' },
    ]);
    const working = fakeHelm(() => Promise.resolve(chartObjects()));
    const withTraits = api({
      ...component,
      traits: [
        { type: 'service', properties: { port: 80 } },
        { type: 'replicas', properties: { count: 2 } },
      ],
    });
    expect(
      errorsOf(
        await new Composer({ engine: createCelEngine(), helm: working.helm }).compose(
          definitions([helmComponent]),
          withTraits,
          context,
        ),
      ),
    ).toEqual([
      {
        path: '/traits/1',
        message:
          'trait "replicas" patches the workload, but component type "chart" renders a Helm chart and has no workload to patch',
      },
    ]);
  });

  it('checks the rendered helm block before calling helm', async () => {
    const { calls, helm } = fakeHelm(() => Promise.resolve(chartObjects()));
    const c = new Composer({ engine: createCelEngine(), helm });
    const loose = componentDefinition('loose-chart', {
      ...helmComponent.spec,
      schema: { type: 'object' },
      helm: { chart: '${parameter.chart}', values: { $merge: '${parameter.values}' } },
    });
    const errors = errorsOf(
      await c.compose(
        definitions([loose]),
        api({ type: 'loose-chart', properties: { chart: '', values: ['a'] } }),
        context,
      ),
    );
    expect(errors).toEqual([
      {
        path: '',
        message: 'component type "loose-chart", helm block: chart must be a non-empty string, not ""',
      },
      {
        path: '',
        message: 'component type "loose-chart", helm block: values.$merge must be a map, not ["a"]',
      },
    ]);
    expect(calls).toEqual([]);
  });

  it('lets a bug in the renderer propagate', async () => {
    const { helm } = fakeHelm(() => Promise.reject(new TypeError('boom')));
    const c = new Composer({ engine: createCelEngine(), helm });
    await expect(
      c.compose(
        definitions([helmComponent]),
        api({ type: 'chart', properties: { chart: 'redis' } }),
        context,
      ),
    ).rejects.toThrow('boom');
  });
});
