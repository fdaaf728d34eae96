import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComponentSpec, TraitDefinitionSpec } from '@gantry/model';
import { createAjv } from '@gantry/model';
import { describe, expect, it } from 'vitest';
import { createCelEngine } from '../cel-environment.ts';
import {
  Composer,
  type ComposeResult,
  type DefinitionSet,
  type RenderContext,
  type RenderedObject,
} from '../compose/compose.ts';
import { workloadName } from '../workload-name.ts';
import {
  catalogDefinitionSet,
  catalogDir,
  cronJobHealthPolicy,
  deploymentHealthPolicy,
  jobHealthPolicy,
  podDisruptionBudgetHealthPolicy,
  loadCatalog,
  statefulSetHealthPolicy,
} from './catalog.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

const catalog = loadCatalog();
const builtins = catalogDefinitionSet(catalog);
const context: RenderContext = {
  app: 'shop',
  team: 'payments',
  component: 'api',
  revision: 3,
  cluster: 'east',
  namespace: 'prod',
  environment: '',
};
const stamped = {
  'app.gantry.dev/team': 'payments',
  'app.gantry.dev/name': 'shop',
  'app.gantry.dev/component': 'api',
};

// Rendering a chart with the real helm binary is tested in test/delivery/helm-renderer.test.ts (test-bed suite).
const composer = new Composer({ engine: createCelEngine() });

function compose(
  component: Partial<ComponentSpec> & Pick<ComponentSpec, 'type'>,
  definitions: DefinitionSet = builtins,
): Promise<ComposeResult> {
  return composer.compose(definitions, { name: 'api', ...component }, context);
}

async function render(
  component: Partial<ComponentSpec> & Pick<ComponentSpec, 'type'>,
): Promise<RenderedObject[]> {
  const result = await compose(component);
  if (!result.ok) throw new Error(`compose failed: ${JSON.stringify(result.errors, null, 2)}`);
  return result.objects;
}

async function errors(
  component: Partial<ComponentSpec> & Pick<ComponentSpec, 'type'>,
  definitions?: DefinitionSet,
) {
  const result = await compose(component, definitions);
  if (result.ok) throw new Error('compose succeeded, errors were expected');
  return result.errors;
}

function output(objects: RenderedObject[], name: string): Record<string, any> {
  const found = objects.find((o) => o.output === name);
  if (!found) throw new Error(`no output ${name} in ${objects.map((o) => o.output).join(', ')}`);
  return found.object;
}

const mainContainer = (workload: Record<string, any>, path = ['spec', 'template']) => {
  const template = path.reduce((node, key) => node[key], workload);
  return template.spec.containers.find((c: any) => c.name === 'api');
};

/** A webservice with the given traits, and its rendered Deployment. */
async function webservice(
  traits: ComponentSpec['traits'],
  properties: Record<string, unknown> = { image: 'nginx:1.27', ports: [{ port: 80 }] },
) {
  const objects = await render({ type: 'webservice', properties, traits });
  return { objects, deployment: output(objects, 'workload') };
}

describe('the built-in catalog', () => {
  it('holds every component type and trait at its version, marked built-in', () => {
    expect(catalog.components.map((d) => d.metadata.name)).toEqual([
      'cron-job',
      'helm',
      'job',
      'k8s-objects',
      'stateful-service',
      'webservice',
      'worker',
    ]);
    expect(catalog.traits.map((d) => d.metadata.name)).toEqual([
      'affinity',
      'annotations',
      'config-files',
      'env',
      'expose',
      'health-probes',
      'hpa',
      'ingress',
      'labels',
      'pdb',
      'resources',
      'scaler',
      'sidecar',
      'storage',
      'tolerations',
    ]);
    for (const definition of [...catalog.components, ...catalog.traits]) {
      expect(definition.apiVersion).toBe('gantry.dev/v1alpha1');
      expect(definition.metadata.labels).toEqual({ 'catalog.gantry.dev/builtin': 'true' });
      // pdb 1.1.0: its PodDisruptionBudget counts in the component's health.
      expect(definition.spec.version, definition.metadata.name).toBe(
        definition.metadata.name === 'pdb' ? '1.1.0' : '1.0.0',
      );
      expect(definition.spec.description.length, definition.metadata.name).toBeGreaterThan(20);
    }
    expect(catalogDir()).toBe(resolve(dirname(fileURLToPath(import.meta.url)), '../../catalog') + '/');
  });

  it('refuses a catalog file that is not a valid definition, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-catalog-'));
    try {
      mkdirSync(join(dir, 'components'));
      mkdirSync(join(dir, 'traits'));
      const scaler = readFileSync(join(catalogDir(), 'traits/scaler.yaml'), 'utf8');
      writeFileSync(join(dir, 'traits/autoscaler.yaml'), scaler.replace('stage: post', 'stage: later'));
      expect(() => loadCatalog({ dir })).toThrow(
        /traits\/autoscaler\.yaml is invalid: metadata\.name must be autoscaler, as the file is named; spec\/stage: must be one of \["pre","post"\]/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the JSON form the bundle carries exactly as the YAML it was made from, checks included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-catalog-'));
    try {
      mkdirSync(join(dir, 'components'));
      mkdirSync(join(dir, 'traits'));
      const scaler = catalog.traits.find((trait) => trait.metadata.name === 'scaler');
      writeFileSync(join(dir, 'traits/scaler.json'), JSON.stringify(scaler));
      expect(loadCatalog({ dir }).traits).toEqual([scaler]);
      writeFileSync(join(dir, 'traits/autoscaler.json'), JSON.stringify({ ...scaler, kind: 'Trait' }));
      expect(() => loadCatalog({ dir })).toThrow(
        /traits\/autoscaler\.json is invalid: kind must be TraitDefinition; metadata\.name must be autoscaler/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describes every property, closes every object, bounds every list, and has defaults its schema accepts', () => {
    // Free-form by design: raw manifests and chart values.
    const freeForm = new Set([
      'k8s-objects:/properties/objects/items',
      'k8s-objects:/properties/objects/items/properties/metadata',
      'helm:/properties/values',
    ]);
    const ajv = createAjv();
    const problems: string[] = [];
    const visit = (definition: string, schema: Record<string, any>, path: string, isProperty: boolean) => {
      const at = `${definition}:${path}`;
      if (isProperty && typeof schema.description !== 'string') problems.push(`${at} has no description`);
      if (schema.properties !== undefined && schema.additionalProperties !== false && !freeForm.has(at))
        problems.push(`${at} allows unknown fields`);
      if (
        (schema.type === 'object' || schema.properties) &&
        schema.properties === undefined &&
        schema.additionalProperties === undefined &&
        !freeForm.has(at)
      ) {
        problems.push(`${at} is an object without properties or additionalProperties`);
      }
      if (schema.type === 'array' && typeof schema.maxItems !== 'number')
        problems.push(`${at} has no maxItems`);
      if (schema.default !== undefined && !ajv.validate(schema, schema.default))
        problems.push(`${at} default ${JSON.stringify(schema.default)} is invalid`);
      for (const [name, child] of Object.entries(schema.properties ?? {}))
        visit(definition, child as Record<string, any>, `${path}/properties/${name}`, true);
      if (schema.items) visit(definition, schema.items, `${path}/items`, false);
      if (typeof schema.additionalProperties === 'object')
        visit(definition, schema.additionalProperties, `${path}/additionalProperties`, false);
    };
    for (const definition of [...catalog.components, ...catalog.traits]) {
      expect(definition.spec.schema.additionalProperties, definition.metadata.name).toBe(false);
      visit(definition.metadata.name, definition.spec.schema, '', false);
    }
    expect(problems).toEqual([]);
  });

  it('names real workloads and traits in appliesToWorkloads and conflictsWith', () => {
    const workloads = new Set(catalog.components.map((d) => workloadName(d.spec.workload)));
    workloads.add('daemonsets.apps');
    for (const trait of catalog.traits) {
      for (const target of trait.spec.appliesToWorkloads)
        expect(workloads.has(target) || target === '*', `${trait.metadata.name}: ${target}`).toBe(true);
      for (const other of trait.spec.conflictsWith)
        expect(builtins.traits.has(other), `${trait.metadata.name}: ${other}`).toBe(true);
    }
    expect(builtins.traits.get('scaler')!.spec.conflictsWith).toEqual(['hpa']);
    expect(builtins.traits.get('hpa')!.spec.conflictsWith).toEqual(['scaler']);
  });

  it('carries the exported standard health policies, byte for byte', () => {
    const health = (name: string) => builtins.components.get(name)!.spec.health?.policy;
    expect(health('webservice')).toBe(deploymentHealthPolicy);
    expect(health('worker')).toBe(deploymentHealthPolicy);
    expect(health('stateful-service')).toBe(statefulSetHealthPolicy);
    expect(health('job')).toBe(jobHealthPolicy);
    expect(health('cron-job')).toBe(cronJobHealthPolicy);
    expect(health('k8s-objects')).toBeUndefined();
    expect(health('helm')).toBeUndefined();
    expect(builtins.traits.get('pdb')!.spec.health?.policy).toBe(podDisruptionBudgetHealthPolicy);
    const withPolicies = [...builtins.traits.values()]
      .filter((trait) => trait.spec.health)
      .map((trait) => trait.name);
    expect(withPolicies).toEqual(['pdb']);
  });
});

describe('built-in components', () => {
  it('webservice: a Deployment without replicas and a Service for the exposed ports', async () => {
    const objects = await render({
      type: 'webservice',
      properties: {
        image: 'shop/api:2.1',
        imagePullPolicy: 'IfNotPresent',
        imagePullSecrets: ['regcred'],
        cmd: ['/api'],
        args: ['--listen', ':8080'],
        ports: [{ port: 8080 }, { port: 9090, name: 'metrics', expose: false }],
        cpu: '250m',
        memory: '256Mi',
        env: [
          { name: 'MODE', value: 'prod' },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        ],
        labels: { tier: 'web' },
        annotations: { owner: 'payments' },
      },
    });
    expect(objects.map((o) => [o.output, o.stage, o.workload, o.object.kind])).toEqual([
      ['workload', 'main', true, 'Deployment'],
      ['service', 'main', false, 'Service'],
    ]);
    expect(objects[0]!.health).toBe(deploymentHealthPolicy);
    const deployment = output(objects, 'workload');
    expect(deployment.metadata).toEqual({
      name: 'api',
      namespace: 'prod',
      labels: { tier: 'web', ...stamped },
      annotations: { owner: 'payments', 'app.gantry.dev/revision': '3' },
    });
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.selector).toEqual({ matchLabels: stamped });
    expect(deployment.spec.template.metadata).toEqual({
      labels: { tier: 'web', ...stamped },
      annotations: { owner: 'payments' },
    });
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(deployment.spec.template.spec.containers).toEqual([
      {
        name: 'api',
        image: 'shop/api:2.1',
        imagePullPolicy: 'IfNotPresent',
        command: ['/api'],
        args: ['--listen', ':8080'],
        ports: [
          { name: 'port-8080', containerPort: 8080, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
        ],
        env: [
          { name: 'MODE', value: 'prod' },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        ],
        resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '250m', memory: '256Mi' } },
      },
    ]);
    const service = output(objects, 'service');
    expect(service.metadata.name).toBe('api');
    expect(service.spec).toEqual({
      selector: stamped,
      ports: [{ name: 'port-8080', port: 8080, targetPort: 8080, protocol: 'TCP' }],
    });
  });

  it('webservice: only what is given, and no Service without exposed ports', async () => {
    const objects = await render({
      type: 'webservice',
      properties: { image: 'nginx', ports: [{ port: 80, expose: false }] },
    });
    expect(objects.map((o) => o.output)).toEqual(['workload']);
    expect(output(objects, 'workload').spec.template.spec).toEqual({
      containers: [
        { name: 'api', image: 'nginx', ports: [{ name: 'port-80', containerPort: 80, protocol: 'TCP' }] },
      ],
    });
  });

  it('worker: a Deployment and nothing else', async () => {
    const objects = await render({
      type: 'worker',
      properties: { image: 'busybox:1.36', cmd: ['sleep', 'infinity'], memory: '64Mi' },
    });
    expect(objects.map((o) => [o.output, o.object.kind, o.health])).toEqual([
      ['workload', 'Deployment', deploymentHealthPolicy],
    ]);
    expect(output(objects, 'workload').spec.template.spec.containers).toEqual([
      {
        name: 'api',
        image: 'busybox:1.36',
        command: ['sleep', 'infinity'],
        resources: { requests: { memory: '64Mi' }, limits: { memory: '64Mi' } },
      },
    ]);
  });

  it('stateful-service: a StatefulSet with per-replica claims and its headless Service', async () => {
    const objects = await render({
      type: 'stateful-service',
      properties: {
        image: 'postgres:16',
        ports: [{ port: 5432, name: 'pg' }],
        volumeClaimTemplates: [
          { name: 'data', mountPath: '/var/lib/postgresql/data', size: '10Gi', storageClassName: 'fast' },
        ],
      },
    });
    expect(objects.map((o) => [o.output, o.object.kind, o.health])).toEqual([
      ['workload', 'StatefulSet', statefulSetHealthPolicy],
      ['service', 'Service', undefined],
    ]);
    const statefulSet = output(objects, 'workload');
    expect(statefulSet.spec.serviceName).toBe('api');
    expect(statefulSet.spec.podManagementPolicy).toBe('OrderedReady');
    expect(statefulSet.spec.replicas).toBeUndefined();
    expect(statefulSet.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: 'data' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'fast',
          resources: { requests: { storage: '10Gi' } },
        },
      },
    ]);
    expect(mainContainer(statefulSet).volumeMounts).toEqual([
      { name: 'data', mountPath: '/var/lib/postgresql/data' },
    ]);
    expect(statefulSet.spec.template.metadata.labels).toEqual(stamped);
    expect(output(objects, 'service').spec).toEqual({
      clusterIP: 'None',
      selector: stamped,
      ports: [{ name: 'pg', port: 5432, targetPort: 5432, protocol: 'TCP' }],
    });
  });

  it('job: a Job run count times', async () => {
    const objects = await render({
      type: 'job',
      properties: { image: 'shop/migrate:5', cmd: ['migrate', 'up'], count: 3, activeDeadlineSeconds: 600 },
    });
    expect(objects.map((o) => [o.output, o.object.kind, o.health])).toEqual([
      ['workload', 'Job', jobHealthPolicy],
    ]);
    const job = output(objects, 'workload');
    expect(job.spec).toMatchObject({
      parallelism: 3,
      completions: 3,
      backoffLimit: 6,
      activeDeadlineSeconds: 600,
    });
    expect(job.spec.selector).toBeUndefined();
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(mainContainer(job)).toEqual({ name: 'api', image: 'shop/migrate:5', command: ['migrate', 'up'] });
  });

  it('cron-job: a CronJob whose pod template is stamped and patched at its own path', async () => {
    const objects = await render({
      type: 'cron-job',
      properties: {
        schedule: '*/5 * * * *',
        image: 'shop/report:1',
        cmd: ['report'],
        concurrencyPolicy: 'Forbid',
        timeZone: 'Europe/Paris',
      },
      traits: [{ type: 'tolerations', properties: { tolerations: [{ operator: 'Exists' }] } }],
    });
    expect(objects.map((o) => [o.output, o.object.kind, o.health])).toEqual([
      ['workload', 'CronJob', 'true'],
    ]);
    const cronJob = output(objects, 'workload');
    expect(cronJob.spec).toMatchObject({
      schedule: '*/5 * * * *',
      timeZone: 'Europe/Paris',
      concurrencyPolicy: 'Forbid',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    const template = cronJob.spec.jobTemplate.spec.template;
    expect(template.metadata.labels).toEqual(stamped);
    expect(template.spec.restartPolicy).toBe('Never');
    expect(template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(mainContainer(cronJob, ['spec', 'jobTemplate', 'spec', 'template'])).toEqual({
      name: 'api',
      image: 'shop/report:1',
      command: ['report'],
    });
  });

  it('k8s-objects: the objects as given, the first as the workload, with Gantry labels', async () => {
    const objects = await render({
      type: 'k8s-objects',
      properties: {
        objects: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'legacy', labels: { app: 'legacy' } },
            spec: {
              replicas: 2,
              selector: { matchLabels: { app: 'legacy' } },
              template: {
                metadata: { labels: { app: 'legacy' } },
                spec: { containers: [{ name: 'c', image: 'legacy:1' }] },
              },
            },
          },
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'legacy-config', namespace: 'other' },
            data: { 'run.sh': 'echo ${HOME}' },
          },
        ],
      },
    });
    expect(objects.map((o) => [o.output, o.workload, o.object.kind, o.health])).toEqual([
      ['workload', true, 'Deployment', deploymentHealthPolicy],
      ['objects/1', false, 'ConfigMap', undefined],
    ]);
    const deployment = output(objects, 'workload');
    expect(deployment.metadata.labels).toEqual({ app: 'legacy', ...stamped });
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.metadata.labels).toEqual({ app: 'legacy', ...stamped });
    expect(output(objects, 'objects/1')).toMatchObject({
      metadata: { namespace: 'other' },
      data: { 'run.sh': 'echo ${HOME}' },
    });
  });
});

describe('built-in traits', () => {
  it('scaler sets the replicas (1 by default)', async () => {
    expect(
      (await webservice([{ type: 'scaler', properties: { replicas: 3 } }])).deployment.spec.replicas,
    ).toBe(3);
    expect((await webservice([{ type: 'scaler' }])).deployment.spec.replicas).toBe(1);
    const statefulSet = output(
      await render({
        type: 'stateful-service',
        properties: { image: 'redis' },
        traits: [{ type: 'scaler', properties: { replicas: 0 } }],
      }),
      'workload',
    );
    expect(statefulSet.spec.replicas).toBe(0);
  });

  it('resources sets requests and limits of the main container, over what the component set', async () => {
    const { deployment } = await webservice(
      [
        {
          type: 'resources',
          properties: { cpu: '1', requests: { memory: '1Gi' }, limits: { memory: '2Gi' } },
        },
      ],
      {
        image: 'nginx',
        cpu: '250m',
        memory: '128Mi',
      },
    );
    expect(mainContainer(deployment).resources).toEqual({
      requests: { cpu: '1', memory: '1Gi' },
      limits: { cpu: '1', memory: '2Gi' },
    });
  });

  it('env merges variables by name into the main container, or the named one', async () => {
    const { deployment } = await webservice(
      [
        { type: 'env', properties: { env: { MODE: 'canary', REGION: 'eu' } } },
        { type: 'sidecar', properties: { name: 'proxy', image: 'envoy:1' } },
        { type: 'env', properties: { env: { LOG: 'debug' }, containerName: 'proxy' } },
      ],
      {
        image: 'nginx',
        env: [
          { name: 'MODE', value: 'prod' },
          { name: 'KEEP', value: '1' },
        ],
      },
    );
    expect(mainContainer(deployment).env).toEqual([
      { name: 'MODE', value: 'canary' },
      { name: 'KEEP', value: '1' },
      { name: 'REGION', value: 'eu' },
    ]);
    expect(deployment.spec.template.spec.containers[1]).toEqual({
      name: 'proxy',
      image: 'envoy:1',
      env: [{ name: 'LOG', value: 'debug' }],
    });
  });

  it('labels and annotations go on the workload and its pods', async () => {
    const { deployment } = await webservice([
      { type: 'labels', properties: { labels: { tier: 'web', 'app.gantry.dev/name': 'spoofed' } } },
      { type: 'annotations', properties: { annotations: { 'prometheus.io/scrape': 'true' } } },
    ]);
    expect(deployment.metadata.labels).toEqual({ tier: 'web', ...stamped });
    expect(deployment.spec.template.metadata.labels).toEqual({ tier: 'web', ...stamped });
    expect(deployment.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'app.gantry.dev/revision': '3',
    });
    expect(deployment.spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
  });

  it('health-probes sets the probes of the main container, one handler each', async () => {
    const { deployment } = await webservice([
      {
        type: 'health-probes',
        properties: {
          liveness: { httpGet: { port: 80, path: '/healthz' }, periodSeconds: 10 },
          readiness: { tcpSocket: { port: 'port-80' } },
        },
      },
    ]);
    const container = mainContainer(deployment);
    expect(container.livenessProbe).toEqual({
      httpGet: { port: 80, path: '/healthz', scheme: 'HTTP' },
      periodSeconds: 10,
    });
    expect(container.readinessProbe).toEqual({ tcpSocket: { port: 'port-80' } });
    expect(container.startupProbe).toBeUndefined();
    const refused = await errors({
      type: 'webservice',
      properties: { image: 'nginx' },
      traits: [
        {
          type: 'health-probes',
          properties: { liveness: { httpGet: { port: 80 }, exec: { command: ['true'] } } },
        },
      ],
    });
    expect(refused).toContainEqual({
      path: '/traits/0/properties/liveness',
      message: 'must match exactly one schema in oneOf',
    });
  });

  it('sidecar adds a container with its own mounts', async () => {
    const { deployment } = await webservice([
      {
        type: 'config-files',
        properties: { files: [{ name: 'conf', mountPath: '/etc/app', data: { 'a.conf': 'x' } }] },
      },
      {
        type: 'sidecar',
        properties: {
          name: 'log',
          image: 'fluent-bit:3',
          args: ['-c', '/conf/a.conf'],
          volumes: [{ name: 'files-conf', path: '/conf', readOnly: true }],
        },
      },
    ]);
    expect(deployment.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['api', 'log']);
    expect(deployment.spec.template.spec.containers[1]).toEqual({
      name: 'log',
      image: 'fluent-bit:3',
      args: ['-c', '/conf/a.conf'],
      volumeMounts: [{ name: 'files-conf', mountPath: '/conf', readOnly: true }],
    });
  });

  it('expose renders a Service of the chosen type for the pods', async () => {
    const { objects } = await webservice([
      {
        type: 'expose',
        properties: {
          ports: [
            { port: 80, targetPort: 8080 },
            { port: 443, nodePort: 30443 },
          ],
          type: 'NodePort',
        },
      },
    ]);
    const service = output(objects, 'trait/expose/service');
    expect(service.metadata.name).toBe('api-expose');
    expect(service.spec).toEqual({
      type: 'NodePort',
      selector: stamped,
      ports: [
        { name: 'port-80', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'port-443', port: 443, targetPort: 443, protocol: 'TCP', nodePort: 30443 },
      ],
    });
    expect(objects.find((o) => o.output === 'trait/expose/service')!.stage).toBe('post');
  });

  it('ingress routes the domain and paths to the Service, with TLS', async () => {
    const { objects } = await webservice([
      {
        type: 'ingress',
        properties: {
          domain: 'shop.example.com',
          http: { '/': 80, '/api': 8080 },
          class: 'nginx',
          secretName: 'shop-tls',
        },
      },
    ]);
    const ingress = output(objects, 'trait/ingress/ingress');
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } },
              {
                path: '/api',
                pathType: 'Prefix',
                backend: { service: { name: 'api', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
    const bare = output(
      (await webservice([{ type: 'ingress', properties: { http: { '/': 80 } } }])).objects,
      'trait/ingress/ingress',
    );
    expect(bare.spec).toEqual({
      rules: [
        {
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } },
            ],
          },
        },
      ],
    });
  });

  it('hpa renders an autoscaling/v2 HorizontalPodAutoscaler and leaves the replicas to it', async () => {
    const { objects, deployment } = await webservice([
      { type: 'hpa', properties: { min: 2, max: 5, cpuUtilization: 70, memoryUtilization: 80 } },
    ]);
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = output(objects, 'trait/hpa/hpa');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
    });
  });

  it('storage renders claims before the workload and mounts claims, ConfigMaps, Secrets and emptyDirs', async () => {
    const { objects, deployment } = await webservice([
      {
        type: 'storage',
        properties: {
          pvc: [
            { name: 'data', mountPath: '/data', size: '5Gi' },
            { name: 'shared', mountPath: '/shared', mountOnly: true, readOnly: true },
          ],
          configMap: [{ name: 'settings', mountPath: '/etc/settings' }],
          secret: [{ name: 'certs', mountPath: '/etc/certs', defaultMode: 256 }],
          emptyDir: [{ name: 'cache', mountPath: '/cache', medium: 'Memory' }],
        },
      },
    ]);
    expect(objects.map((o) => [o.output, o.stage, o.object.kind, o.object.metadata.name])).toEqual([
      ['trait/storage/pvc/0', 'pre', 'PersistentVolumeClaim', 'data'],
      ['workload', 'main', 'Deployment', 'api'],
      ['service', 'main', 'Service', 'api'],
    ]);
    expect(output(objects, 'trait/storage/pvc/0').spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
    });
    expect(deployment.spec.template.spec.volumes).toEqual([
      { name: 'pvc-data', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'pvc-shared', persistentVolumeClaim: { claimName: 'shared' } },
      { name: 'configmap-settings', configMap: { name: 'settings', defaultMode: 420 } },
      { name: 'secret-certs', secret: { secretName: 'certs', defaultMode: 256 } },
      { name: 'emptydir-cache', emptyDir: { medium: 'Memory' } },
    ]);
    expect(mainContainer(deployment).volumeMounts).toEqual([
      { name: 'pvc-data', mountPath: '/data', readOnly: false },
      { name: 'pvc-shared', mountPath: '/shared', readOnly: true },
      { name: 'configmap-settings', mountPath: '/etc/settings', readOnly: true },
      { name: 'secret-certs', mountPath: '/etc/certs', readOnly: true },
      { name: 'emptydir-cache', mountPath: '/cache' },
    ]);
  });

  it('affinity spreads over nodes by default and requires node labels', async () => {
    const { deployment } = await webservice([
      {
        type: 'affinity',
        properties: {
          podAntiAffinity: { preferred: [{ weight: 100 }] },
          podAffinity: {
            required: [{ matchLabels: { app: 'cache' }, topologyKey: 'topology.kubernetes.io/zone' }],
          },
          nodeAffinity: { required: [{ key: 'disktype', operator: 'In', values: ['ssd'] }] },
        },
      },
    ]);
    expect(deployment.spec.template.spec.affinity).toEqual({
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'topology.kubernetes.io/zone' },
        ],
        preferredDuringSchedulingIgnoredDuringExecution: [],
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [],
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: stamped },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [],
      },
    });
    // No required node terms: no empty term (which would match no node).
    const preferredOnly = await webservice([
      {
        type: 'affinity',
        properties: {
          nodeAffinity: {
            preferred: [{ weight: 10, matchExpressions: [{ key: 'spot', operator: 'DoesNotExist' }] }],
          },
        },
      },
    ]);
    expect(preferredOnly.deployment.spec.template.spec.affinity).toEqual({
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: 'spot', operator: 'DoesNotExist' }] } },
        ],
      },
    });
  });

  it('tolerations sets exactly the tolerations given', async () => {
    const { deployment } = await webservice([
      {
        type: 'tolerations',
        properties: {
          tolerations: [{ operator: 'Exists' }, { key: 'gpu', value: 'yes', effect: 'NoSchedule' }],
        },
      },
    ]);
    expect(deployment.spec.template.spec.tolerations).toEqual([
      { operator: 'Exists' },
      { key: 'gpu', value: 'yes', effect: 'NoSchedule' },
    ]);
  });

  it('config-files renders a ConfigMap or a Secret per set before the workload, and mounts them', async () => {
    const { objects, deployment } = await webservice([
      {
        type: 'config-files',
        properties: {
          files: [
            { name: 'conf', mountPath: '/etc/app', data: { 'app.yaml': 'port: 8080\n' } },
            { name: 'creds', mountPath: '/etc/creds', secret: true, data: { token: 's3cr3t' } },
          ],
        },
      },
    ]);
    expect(
      objects.filter((o) => o.stage === 'pre').map((o) => [o.output, o.object.kind, o.object.metadata.name]),
    ).toEqual([
      ['trait/config-files/files/0', 'ConfigMap', 'api-conf'],
      ['trait/config-files/files/1', 'Secret', 'api-creds'],
    ]);
    expect(output(objects, 'trait/config-files/files/0').data).toEqual({ 'app.yaml': 'port: 8080\n' });
    expect(output(objects, 'trait/config-files/files/1')).toMatchObject({
      type: 'Opaque',
      stringData: { token: 's3cr3t' },
    });
    expect(deployment.spec.template.spec.volumes).toEqual([
      { name: 'files-conf', configMap: { name: 'api-conf', defaultMode: 420 } },
      { name: 'files-creds', secret: { secretName: 'api-creds', defaultMode: 420 } },
    ]);
    expect(mainContainer(deployment).volumeMounts).toEqual([
      { name: 'files-conf', mountPath: '/etc/app', readOnly: true },
      { name: 'files-creds', mountPath: '/etc/creds', readOnly: true },
    ]);
  });

  it('pdb selects the component pods by the stamped labels', async () => {
    const withMin = output(
      (await webservice([{ type: 'pdb', properties: { minAvailable: '50%', maxUnavailable: 2 } }])).objects,
      'trait/pdb/pdb',
    );
    expect(withMin.apiVersion).toBe('policy/v1');
    expect(withMin.spec).toEqual({ selector: { matchLabels: stamped }, minAvailable: '50%' });
    const byDefault = output((await webservice([{ type: 'pdb' }])).objects, 'trait/pdb/pdb');
    expect(byDefault.spec).toEqual({ selector: { matchLabels: stamped }, maxUnavailable: 1 });
  });

  it('every trait composes on every built-in component it applies to', async () => {
    const minimal: Record<string, Record<string, unknown>> = {
      affinity: { podAntiAffinity: {} },
      annotations: { annotations: { a: 'b' } },
      'config-files': { files: [{ name: 'conf', mountPath: '/conf', data: { a: 'b' } }] },
      env: { env: { A: 'b' } },
      expose: { ports: [{ port: 80 }] },
      'health-probes': { liveness: { exec: { command: ['true'] } } },
      hpa: {},
      ingress: { http: { '/': 80 } },
      labels: { labels: { a: 'b' } },
      pdb: {},
      resources: { cpu: '1' },
      scaler: {},
      sidecar: { name: 'helper', image: 'busybox' },
      storage: { emptyDir: [{ name: 'tmp', mountPath: '/tmp' }] },
      tolerations: { tolerations: [{ operator: 'Exists' }] },
    };
    const examples: Record<string, Record<string, unknown>> = {
      webservice: { image: 'nginx' },
      worker: { image: 'busybox' },
      'stateful-service': { image: 'redis' },
      job: { image: 'busybox' },
      'cron-job': { image: 'busybox', schedule: '@hourly' },
      'k8s-objects': { objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }] },
    };
    expect(Object.keys(minimal).sort()).toEqual([...builtins.traits.keys()].sort());
    let combinations = 0;
    for (const [type, properties] of Object.entries(examples)) {
      const definition = builtins.components.get(type)!;
      const workload = workloadName(definition.spec.workload);
      for (const trait of catalog.traits) {
        const applies = trait.spec.appliesToWorkloads;
        if (!applies.some((target) => target === '*' || target === workload || target === type)) continue;
        const result = await compose({
          type,
          properties,
          traits: [{ type: trait.metadata.name, properties: minimal[trait.metadata.name]! }],
        });
        expect(result.ok ? [] : result.errors, `${trait.metadata.name} on ${type}`).toEqual([]);
        combinations += 1;
      }
    }
    expect(combinations).toBeGreaterThan(60);
  });
});

describe('errors with the built-in catalog', () => {
  it('an unknown trait, and a bad property with its path', async () => {
    expect(
      await errors({
        type: 'webservice',
        properties: { image: 'nginx', ports: [{ port: 'eighty' }] },
        traits: [{ type: 'scaler', properties: { replicas: 'three' } }, { type: 'teleport' }],
      }),
    ).toEqual([
      { path: '/properties/ports/0/port', message: 'must be integer' },
      { path: '/traits/0/properties/replicas', message: 'must be integer' },
      { path: '/traits/1/type', message: 'unknown trait type "teleport"' },
    ]);
  });

  it('a CEL error in a definition, with the template path and the expression', async () => {
    const scaler = builtins.traits.get('scaler')!;
    const broken: TraitDefinitionSpec = {
      ...structuredClone(scaler.spec),
      patch: { spec: { replicas: '${parameter.replica + 1}' } },
    };
    const definitions: DefinitionSet = {
      components: builtins.components,
      traits: new Map([...builtins.traits, ['scaler', { name: 'scaler', spec: broken }]]),
    };
    const found = await errors(
      { type: 'webservice', properties: { image: 'nginx' }, traits: [{ type: 'scaler' }] },
      definitions,
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: '/traits/0', expression: 'parameter.replica + 1' });
    expect(found[0]!.message).toMatch(
      /^trait "scaler", patch at \/spec\/replicas in \$\{parameter\.replica \+ 1\}: .*replica/,
    );
  });

  it('a pod patch on a component without a pod template', async () => {
    expect(
      await errors({
        type: 'k8s-objects',
        properties: { objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }] },
        traits: [{ type: 'env', properties: { env: { A: 'b' } } }],
      }),
    ).toEqual([
      {
        path: '/traits/0',
        message:
          'trait "env" patches the pod template, but component type "k8s-objects" (*) has no podTemplatePath',
      },
    ]);
  });

  it('a rendered object with an invalid name, naming the output', async () => {
    const found = await errors({
      type: 'k8s-objects',
      properties: { objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Web_Config' } }] },
    });
    expect(found).toEqual([
      {
        path: '',
        message: expect.stringMatching(
          /^component type "k8s-objects", output "workload": ConfigMap name "Web_Config" is not a valid name/,
        ),
      },
    ]);
  });
});
