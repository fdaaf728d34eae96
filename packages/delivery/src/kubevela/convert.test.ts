import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  KindRegistry,
  applicationKind,
  createAjv,
  toDetails,
  type ApplicationSpec,
  type ComponentSpec,
  type ErrorDetail,
} from '@gantry/model';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyOverride } from '../overrides.ts';
import { COMPONENT_TYPES } from './components.ts';
import { KUBEVELA_API_VERSION, convertKubeVelaApplication, type KubeVelaConversion } from './convert.ts';
import { TRAIT_TYPES } from './traits.ts';

/** Gantry's built-in catalog as shipped: the property schemas every converted property must pass. */
const CATALOG_DIR = fileURLToPath(new URL('../../catalog', import.meta.url));
const ajv = createAjv();

function loadSchemas(folder: 'components' | 'traits'): Map<string, ValidateFunction> {
  const dir = join(CATALOG_DIR, folder);
  const schemas = new Map<string, ValidateFunction>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const definition = parse(readFileSync(join(dir, file), 'utf8')) as {
      metadata: { name: string };
      spec: { schema: object };
    };
    schemas.set(definition.metadata.name, ajv.compile(definition.spec.schema));
  }
  return schemas;
}

const componentSchemas = loadSchemas('components');
const traitSchemas = loadSchemas('traits');
const catalog = { components: new Set(componentSchemas.keys()), traits: new Set(traitSchemas.keys()) };
const applicationSchema = new KindRegistry().register(applicationKind);

function schemaErrors(
  validate: ValidateFunction | undefined,
  what: string,
  properties: unknown,
): ErrorDetail[] {
  if (validate === undefined) return [{ path: '', message: `${what}: not in Gantry's catalog` }];
  return validate(structuredClone(properties ?? {}))
    ? []
    : toDetails(validate.errors ?? []).map((e) => ({ path: e.path, message: `${what}: ${e.message}` }));
}

function componentErrors(component: ComponentSpec): ErrorDetail[] {
  return [
    ...schemaErrors(
      componentSchemas.get(component.type),
      `${component.name} (${component.type})`,
      component.properties,
    ),
    ...(component.traits ?? []).flatMap((trait) =>
      schemaErrors(traitSchemas.get(trait.type), `${component.name} trait ${trait.type}`, trait.properties),
    ),
  ];
}

/**
 * Every component and trait against its catalog schema, as written and with each override applied (an
 * override's patch is only valid merged into what it patches), and the whole object against the
 * Application kind.
 */
function expectValidGantry(conversion: KubeVelaConversion): ApplicationSpec {
  if (!conversion.ok) throw new Error(`conversion failed: ${JSON.stringify(conversion.errors, null, 2)}`);
  const { spec } = conversion.object;
  const problems = spec.components.flatMap(componentErrors);
  for (const override of spec.overrides ?? []) {
    for (const patch of override.components) {
      const component = spec.components.find((c) => c.name === patch.name);
      if (component === undefined) problems.push({ path: '', message: `override names ${patch.name}` });
      else problems.push(...componentErrors(applyOverride(component, patch)));
    }
  }
  expect(problems).toEqual([]);
  expect(applicationSchema.validate(structuredClone(conversion.object))).toMatchObject({ ok: true });
  return spec;
}

function convertYaml(text: string, names = catalog): KubeVelaConversion {
  return convertKubeVelaApplication(parse(text) as Record<string, unknown>, names);
}

function errorsOf(conversion: KubeVelaConversion): ErrorDetail[] {
  if (conversion.ok)
    throw new Error(`expected errors, converted to ${JSON.stringify(conversion.object.spec)}`);
  return conversion.errors;
}

describe('convertKubeVelaApplication', () => {
  it('converts a webservice with scaler, gateway and env traits', () => {
    const conversion = convertYaml(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: website
  namespace: shop
  labels: { app.kubernetes.io/part-of: shop }
  annotations:
    app.oam.dev/publishVersion: alpha1
    owner: web-team
spec:
  components:
    - name: frontend
      type: webservice
      properties:
        image: oamdev/testapp:v1
        cmd: [node, server.js]
        ports:
          - { port: 8080, expose: true }
          - { port: 9090, name: metrics }
        cpu: "0.5"
        memory: 512Mi
        env:
          - { name: NODE_ENV, value: production }
          - name: DB_PASSWORD
            valueFrom: { secretKeyRef: { name: shop-db, key: password } }
      traits:
        - type: scaler
          properties: { replicas: 3 }
        - type: gateway
          properties:
            domain: shop.example.com
            http: { "/": 8080 }
        - type: env
          properties:
            env: { FEATURE_CHECKOUT_V2: "on" }
  policies:
    - name: production
      type: topology
      properties: { clusters: [prod-eu-1] }
`);
    expect(conversion).toEqual({
      ok: true,
      object: {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Application',
        metadata: {
          name: 'website',
          labels: { 'app.kubernetes.io/part-of': 'shop' },
          annotations: { owner: 'web-team' },
        },
        spec: {
          components: [
            {
              name: 'frontend',
              type: 'webservice',
              properties: {
                image: 'oamdev/testapp:v1',
                cmd: ['node', 'server.js'],
                // KubeVela exposes only the ports marked so; Gantry's default is the other way round.
                ports: [
                  { port: 8080, expose: true },
                  { port: 9090, name: 'metrics', expose: false },
                ],
                cpu: '0.5',
                memory: '512Mi',
                env: [
                  { name: 'NODE_ENV', value: 'production' },
                  { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'shop-db', key: 'password' } } },
                ],
              },
              traits: [
                { type: 'scaler', properties: { replicas: 3 } },
                // KubeVela's gateway defaults (nginx, ImplementationSpecific) written out, since Gantry's differ.
                {
                  type: 'ingress',
                  properties: {
                    domain: 'shop.example.com',
                    http: { '/': 8080 },
                    class: 'nginx',
                    pathType: 'ImplementationSpecific',
                  },
                },
                { type: 'env', properties: { env: { FEATURE_CHECKOUT_V2: 'on' } } },
              ],
            },
          ],
          topology: { clusters: ['prod-eu-1'], namespace: 'shop' },
          revisionHistoryLimit: 20,
        },
      },
      notes: ["annotations app.oam.dev/publishVersion dropped: KubeVela's (or kubectl's) own bookkeeping"],
    });
    expectValidGantry(conversion);
  });

  it('converts a multi-cluster application: topologies, overrides scoped by the deploy steps that name them', () => {
    const conversion = convertYaml(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: checkout
  namespace: payments
spec:
  components:
    - name: api
      type: webservice
      properties:
        image: registry.example.com/checkout/api:1.4.2
        ports: [{ port: 80, expose: true }]
      traits:
        - type: scaler
          properties: { replicas: 2 }
    - name: worker
      type: worker
      dependsOn: [api]
      properties:
        image: registry.example.com/checkout/worker:1.4.2
        cmd: [./worker, --queue=payments]
  policies:
    - name: eu
      type: topology
      properties:
        clusters: [eu-west-1, eu-central-1]
        namespace: checkout
    - name: us
      type: topology
      properties:
        clusterLabelSelector: { region: us }
        namespace: checkout
    - name: eu-capacity
      type: override
      properties:
        components:
          - name: api
            traits:
              - type: scaler
                properties: { replicas: 6 }
          - name: worker
            properties: { cpu: "2", memory: 4Gi }
    - name: us-canary
      type: override
      properties:
        components:
          - name: api
            properties: { image: registry.example.com/checkout/api:1.5.0-rc.1 }
            traits:
              - type: scaler
                disable: true
              - type: hpa
                properties: { min: 2, max: 8, cpu: { type: Utilization, value: 70 } }
  workflow:
    steps:
      - name: deploy-eu
        type: deploy
        properties: { policies: [eu, eu-capacity] }
      - name: deploy-us
        type: deploy
        properties: { policies: [us, us-canary] }
`);
    const spec = expectValidGantry(conversion);
    expect(spec).toEqual({
      components: [
        {
          name: 'api',
          type: 'webservice',
          properties: {
            image: 'registry.example.com/checkout/api:1.4.2',
            ports: [{ port: 80, expose: true }],
          },
          traits: [{ type: 'scaler', properties: { replicas: 2 } }],
        },
        {
          name: 'worker',
          type: 'worker',
          properties: {
            image: 'registry.example.com/checkout/worker:1.4.2',
            cmd: ['./worker', '--queue=payments'],
          },
          dependsOn: ['api'],
        },
      ],
      topology: {
        clusters: ['eu-west-1', 'eu-central-1'],
        clusterSelector: { matchLabels: { region: 'us' } },
        namespace: 'checkout',
      },
      overrides: [
        {
          clusters: ['eu-west-1', 'eu-central-1'],
          components: [
            { name: 'api', traits: [{ type: 'scaler', properties: { replicas: 6 } }] },
            { name: 'worker', properties: { cpu: '2', memory: '4Gi' } },
          ],
        },
        {
          clusterSelector: { matchLabels: { region: 'us' } },
          components: [
            {
              name: 'api',
              properties: { image: 'registry.example.com/checkout/api:1.5.0-rc.1' },
              // The component has no hpa, so the override adds a whole one (defaults included).
              traits: [
                { type: 'scaler', disable: true },
                { type: 'hpa', properties: { min: 2, max: 8, cpuUtilization: 70 } },
              ],
            },
          ],
        },
      ],
      revisionHistoryLimit: 20,
    });
    expect(conversion.ok && conversion.notes).toEqual([
      'KubeVela runs the 2 deploy steps one after another; Gantry delivers to every target at once',
    ]);
  });

  it('applies overrides everywhere without a workflow, as KubeVela deploys every topology with every override', () => {
    const spec = expectValidGantry(
      convertYaml(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: { name: docs }
spec:
  components:
    - { name: site, type: webservice, properties: { image: "nginx:1.27" } }
    - { name: search, type: webservice, properties: { image: "meilisearch:1.8" } }
  policies:
    - { name: edge, type: topology, properties: { clusters: [edge-1, edge-2] } }
    - name: small
      type: override
      properties:
        components:
          - properties: { memory: 256Mi }
          - name: "s*e"
            traits: [{ type: scaler, properties: { replicas: 2 } }]
`),
    );
    expect(spec.topology).toEqual({ clusters: ['edge-1', 'edge-2'], namespace: 'default' });
    // No name: every component. A name is a pattern, unanchored, as KubeVela reads it ("s*e" matches both).
    expect(spec.overrides).toEqual([
      {
        components: [
          {
            name: 'site',
            properties: { memory: '256Mi' },
            traits: [{ type: 'scaler', properties: { replicas: 2 } }],
          },
          {
            name: 'search',
            properties: { memory: '256Mi' },
            traits: [{ type: 'scaler', properties: { replicas: 2 } }],
          },
        ],
      },
    ]);
  });

  it('converts a task and a cron-task', () => {
    const conversion = convertYaml(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: { name: reports }
spec:
  components:
    - name: migrate
      type: task
      properties:
        image: registry.example.com/reports/migrate:3.1.0
        cmd: [migrate, up]
        count: 1
        restart: OnFailure
        env: [{ name: DATABASE_URL, valueFrom: { secretKeyRef: { name: reports-db, key: url } } }]
    - name: nightly
      type: cron-task
      dependsOn: [migrate]
      properties:
        image: registry.example.com/reports/render:3.1.0
        schedule: "0 2 * * *"
        concurrencyPolicy: Forbid
        successfulJobsHistoryLimit: 5
        failedJobsHistoryLimit: 2
        backoffLimit: 2
        activeDeadlineSeconds: 3600
        cpu: 1
        memory: 1Gi
      traits:
        - type: labels
          properties: { cost-center: finance }
        - type: resource
          properties: { requests: { cpu: 500m } }
  policies:
    - name: batch
      type: topology
      properties: { clusterLabelSelector: { pool: batch } }
`);
    expect(expectValidGantry(conversion)).toEqual({
      components: [
        {
          name: 'migrate',
          type: 'job',
          properties: {
            image: 'registry.example.com/reports/migrate:3.1.0',
            cmd: ['migrate', 'up'],
            count: 1,
            restartPolicy: 'OnFailure',
            env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'reports-db', key: 'url' } } }],
          },
        },
        {
          name: 'nightly',
          type: 'cron-job',
          properties: {
            image: 'registry.example.com/reports/render:3.1.0',
            schedule: '0 2 * * *',
            concurrencyPolicy: 'Forbid',
            successfulJobsHistoryLimit: 5,
            failedJobsHistoryLimit: 2,
            backoffLimit: 2,
            activeDeadlineSeconds: 3600,
            cpu: '1',
            memory: '1Gi',
          },
          traits: [
            { type: 'labels', properties: { labels: { 'cost-center': 'finance' } } },
            // KubeVela fills the memory a requests block leaves out.
            { type: 'resources', properties: { requests: { cpu: '500m', memory: '2048Mi' } } },
          ],
          dependsOn: ['migrate'],
        },
      ],
      topology: { clusterSelector: { matchLabels: { pool: 'batch' } }, namespace: 'default' },
      revisionHistoryLimit: 20,
    });
  });

  it("converts the fluxcd addon's helm components from a Helm repository and an OCI registry", () => {
    const conversion = convertYaml(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: { name: platform-cache, namespace: cache }
spec:
  components:
    - name: redis
      type: helm
      properties:
        repoType: helm
        url: https://charts.bitnami.com/bitnami
        chart: redis
        version: 17.11.3
        releaseName: cache
        pullInterval: 10m
        values:
          architecture: standalone
          auth: { enabled: false }
    - name: podinfo
      type: helm
      properties:
        repoType: oci
        url: oci://ghcr.io/stefanprodan/charts/
        chart: podinfo
        version: "*"
  policies:
    - { name: all, type: topology, properties: { clusters: [cache-1] } }
`);
    const spec = expectValidGantry(conversion);
    expect(spec.components).toEqual([
      {
        name: 'redis',
        type: 'helm',
        properties: {
          chart: 'redis',
          repo: 'https://charts.bitnami.com/bitnami',
          version: '17.11.3',
          releaseName: 'cache',
          values: { architecture: 'standalone', auth: { enabled: false } },
        },
      },
      // `*` is KubeVela's "latest", which is Gantry's when version is unset.
      { name: 'podinfo', type: 'helm', properties: { chart: 'oci://ghcr.io/stefanprodan/charts/podinfo' } },
    ]);
    expect(conversion.ok && conversion.notes).toEqual([
      'KubeVela helm property pullInterval (/spec/components/0/properties/pullInterval) dropped: Gantry renders the chart itself on every revision (no Flux HelmRelease to reconcile)',
    ]);
  });

  it('converts every supported type and trait into properties that pass its Gantry catalog schema', () => {
    const document = parse(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: { name: everything, namespace: demo }
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: registry.example.com/web:2
        imagePullPolicy: IfNotPresent
        imagePullSecrets: [registry-credentials]
        cmd: [web]
        args: [--port=8080]
        ports: [{ port: 8080, containerPort: 8080, name: http, protocol: TCP, expose: true }]
        exposeType: ClusterIP
        addRevisionLabel: false
        cpu: 0.25
        memory: 256Mi
        labels: { tier: frontend }
        annotations: { prometheus.io/scrape: "true" }
        env:
          - { name: MODE, value: web }
          - name: THEME
            valueFrom: { configMapKeyRef: { name: web-config, key: theme } }
      traits:
        - type: gateway
          properties:
            domain: web.example.com
            http: { "/": 8080, "/api": 8081 }
            class: traefik
            classInSpec: true
            secretName: web-tls
            pathType: Prefix
            annotations: { traefik.ingress.kubernetes.io/router.entrypoints: websecure }
            existingServiceName: web-public
            name: public
            gatewayHost: lb.example.com
        - type: expose
          properties:
            type: NodePort
            ports: [{ port: 8080, name: http, protocol: TCP, nodePort: 30080 }]
            annotations: { service.beta.kubernetes.io/aws-load-balancer-type: nlb }
        - type: sidecar
          properties:
            name: log-shipper
            image: fluent/fluent-bit:3.0
            cmd: [fluent-bit]
            args: [-c, /fluent-bit/etc/fluent-bit.conf]
            env: [{ name: LOG_LEVEL, value: info }]
            volumes: [{ name: logs, path: /var/log/web }]
        - type: labels
          properties: { team: storefront }
        - type: annotations
          properties: { example.com/owner: storefront }
        - type: env
          properties:
            containers: [{ containerName: log-shipper, env: { FLUSH_SECONDS: "5" }, replace: false, unset: [] }]
        - type: storage
          properties:
            pvc: [{ name: web-cache, mountPath: /cache, storageClassName: fast, accessModes: [ReadWriteOnce], volumeMode: Filesystem, resources: { requests: { storage: 20Gi } } }]
            configMap: [{ name: web-config, mountPath: /etc/web, mountOnly: true, defaultMode: 292, readOnly: true }]
            secret: [{ name: web-keys, mountPath: /etc/keys, mountOnly: true }]
            emptyDir: [{ name: logs, mountPath: /var/log/web, medium: "" }]
        - type: affinity
          properties:
            podAffinity:
              required:
                - labelSelector: { matchLabels: { app: cache } }
                  topologyKey: topology.kubernetes.io/zone
            podAntiAffinity:
              preferred:
                - weight: 50
                  podAffinityTerm:
                    labelSelector: { matchLabels: { app: web } }
                    topologyKey: kubernetes.io/hostname
            nodeAffinity:
              required:
                nodeSelectorTerms:
                  - matchExpressions: [{ key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.xlarge] }]
              preferred:
                - weight: 10
                  preference:
                    matchExpressions: [{ key: spot, operator: DoesNotExist }]
        - type: hpa
          properties: { min: 2, max: 10, cpu: { type: Utilization, value: 60 }, mem: { type: Utilization, value: 80 }, targetAPIVersion: apps/v1, targetKind: Deployment }
        - type: resource
          properties: { cpu: 1, memory: 1Gi, limits: { cpu: "2", memory: 2Gi } }
    - name: admin
      type: webservice
      properties: { image: registry.example.com/admin:2, port: 9000 }
      traits:
        - type: scaler
          properties: { replicas: 1 }
        - type: storage
          properties:
            pvc: [{ name: admin-uploads, mountPath: /uploads }]
        - type: expose
          properties: { port: [9000] }
    - name: consumer
      type: worker
      properties:
        image: registry.example.com/consumer:2
        cmd: [consume]
        env: [{ name: QUEUE, value: orders }]
        cpu: "1"
        memory: 1Gi
      traits:
        - type: cpuscaler
          properties: { min: 1, max: 5, cpuUtil: 75 }
    - name: backfill
      type: task
      properties: { image: registry.example.com/backfill:2, count: 3, restart: Never, backoffLimit: 1, activeDeadlineSeconds: 600, labels: { job: backfill } }
    - name: cleanup
      type: cron-task
      properties:
        image: registry.example.com/cleanup:2
        schedule: "*/30 * * * *"
        startingDeadlineSeconds: 120
        suspend: false
        concurrencyPolicy: Replace
        successfulJobsHistoryLimit: 1
        failedJobsHistoryLimit: 1
        count: 1
        restart: OnFailure
    - name: config
      type: k8s-objects
      properties:
        objects:
          - apiVersion: v1
            kind: ConfigMap
            metadata: { name: shared-settings }
            data: { region: eu }
    - name: queue
      type: helm
      properties: { url: https://charts.example.com/stable, chart: rabbitmq, version: 12.0.0, values: { replicaCount: 3 }, interval: 1m }
  policies:
    - { name: demo, type: topology, properties: { clusters: [demo-1] } }
`) as { spec: { components: { type: string; traits?: { type: string }[] }[] } };

    // The document uses every mapping there is, so that a mapping added later is checked here too.
    const kubevelaTypes = new Set(document.spec.components.map((c) => c.type));
    const kubevelaTraits = new Set(
      document.spec.components.flatMap((c) => (c.traits ?? []).map((t) => t.type)),
    );
    expect([...kubevelaTypes].sort()).toEqual(Object.keys(COMPONENT_TYPES).sort());
    expect([...kubevelaTraits].sort()).toEqual(Object.keys(TRAIT_TYPES).sort());

    const spec = expectValidGantry(convertKubeVelaApplication(document, catalog));
    const web = spec.components[0]!;
    expect(web.traits).toEqual([
      {
        type: 'ingress',
        properties: {
          domain: 'web.example.com',
          http: { '/': 8080, '/api': 8081 },
          class: 'traefik',
          secretName: 'web-tls',
          pathType: 'Prefix',
          annotations: { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure' },
          serviceName: 'web-public',
        },
      },
      {
        type: 'expose',
        properties: {
          type: 'NodePort',
          ports: [{ port: 8080, name: 'http', protocol: 'TCP', nodePort: 30080 }],
          // No name: KubeVela's (the component's) is taken by the component's own Service.
          annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' },
        },
      },
      {
        type: 'sidecar',
        properties: {
          name: 'log-shipper',
          image: 'fluent/fluent-bit:3.0',
          cmd: ['fluent-bit'],
          args: ['-c', '/fluent-bit/etc/fluent-bit.conf'],
          env: [{ name: 'LOG_LEVEL', value: 'info' }],
          volumes: [{ name: 'logs', path: '/var/log/web' }],
        },
      },
      { type: 'labels', properties: { labels: { team: 'storefront' } } },
      { type: 'annotations', properties: { annotations: { 'example.com/owner': 'storefront' } } },
      { type: 'env', properties: { containerName: 'log-shipper', env: { FLUSH_SECONDS: '5' } } },
      {
        type: 'storage',
        properties: {
          pvc: [
            {
              name: 'web-cache',
              mountPath: '/cache',
              storageClassName: 'fast',
              accessModes: ['ReadWriteOnce'],
              size: '20Gi',
            },
          ],
          configMap: [{ name: 'web-config', mountPath: '/etc/web', defaultMode: 292 }],
          secret: [{ name: 'web-keys', mountPath: '/etc/keys' }],
          emptyDir: [{ name: 'logs', mountPath: '/var/log/web', medium: '' }],
        },
      },
      {
        type: 'affinity',
        properties: {
          podAffinity: {
            required: [{ matchLabels: { app: 'cache' }, topologyKey: 'topology.kubernetes.io/zone' }],
          },
          podAntiAffinity: {
            preferred: [{ weight: 50, matchLabels: { app: 'web' }, topologyKey: 'kubernetes.io/hostname' }],
          },
          nodeAffinity: {
            required: [
              { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'm5.xlarge'] },
            ],
            preferred: [{ weight: 10, matchExpressions: [{ key: 'spot', operator: 'DoesNotExist' }] }],
          },
        },
      },
      {
        type: 'hpa',
        properties: {
          min: 2,
          max: 10,
          cpuUtilization: 60,
          memoryUtilization: 80,
          targetAPIVersion: 'apps/v1',
          targetKind: 'Deployment',
        },
      },
      { type: 'resources', properties: { cpu: '1', memory: '1Gi', limits: { cpu: '2', memory: '2Gi' } } },
    ]);
    expect(web.properties).toEqual({
      image: 'registry.example.com/web:2',
      imagePullPolicy: 'IfNotPresent',
      imagePullSecrets: ['registry-credentials'],
      cmd: ['web'],
      args: ['--port=8080'],
      ports: [{ port: 8080, name: 'http', protocol: 'TCP', expose: true }],
      cpu: '0.25',
      memory: '256Mi',
      labels: { tier: 'frontend' },
      annotations: { 'prometheus.io/scrape': 'true' },
      env: [
        { name: 'MODE', value: 'web' },
        { name: 'THEME', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'theme' } } },
      ],
    });
    const byName = new Map(spec.components.map((c) => [c.name, c]));
    // The deprecated single port, not exposed (KubeVela's default); the claim KubeVela sizes at 8Gi; the
    // Service of the expose trait named after the component, as KubeVela names it.
    expect(byName.get('admin')).toEqual({
      name: 'admin',
      type: 'webservice',
      properties: { image: 'registry.example.com/admin:2', ports: [{ port: 9000, expose: false }] },
      traits: [
        { type: 'scaler', properties: { replicas: 1 } },
        {
          type: 'storage',
          properties: { pvc: [{ name: 'admin-uploads', mountPath: '/uploads', size: '8Gi' }] },
        },
        { type: 'expose', properties: { ports: [{ port: 9000 }], name: 'admin' } },
      ],
    });
    expect(byName.get('consumer')?.traits).toEqual([
      { type: 'hpa', properties: { min: 1, max: 5, cpuUtilization: 75 } },
    ]);
    expect(byName.get('backfill')).toMatchObject({
      type: 'job',
      properties: { count: 3, restartPolicy: 'Never', backoffLimit: 1, activeDeadlineSeconds: 600 },
    });
    expect(byName.get('cleanup')).toMatchObject({
      type: 'cron-job',
      properties: { schedule: '*/30 * * * *', concurrencyPolicy: 'Replace', restartPolicy: 'OnFailure' },
    });
    expect(byName.get('config')?.type).toBe('k8s-objects');
    expect(byName.get('queue')?.properties).toEqual({
      chart: 'rabbitmq',
      repo: 'https://charts.example.com/stable',
      version: '12.0.0',
      values: { replicaCount: 3 },
    });
  });

  it('reports every field that cannot be converted, each with its path in the KubeVela document', () => {
    const errors = errorsOf(
      convertYaml(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: legacy
  namespace: ops
  finalizers: [app.oam.dev/resource-tracker-finalizer]
spec:
  components:
    - name: api
      type: webservice
      properties:
        image: registry.example.com/api:7
        ports: [{ port: 80, containerPort: 8080, expose: true, nodePort: 30080 }]
        exposeType: LoadBalancer
        volumeMounts:
          pvc: [{ name: data, mountPath: /data, claimName: api-data }]
        livenessProbe: { httpGet: { path: /healthz, port: 8080 } }
        env: [{ name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }]
      traits:
        - type: init-container
          properties: { name: wait-for-db, image: busybox }
        - type: storage
          properties:
            pvc: [{ name: data, mountPath: /data, subPath: api }]
            hostPath: [{ name: docker, path: /var/run/docker.sock, mountPath: /var/run/docker.sock }]
            configMap: [{ name: settings, mountPath: /etc/api, data: { api.conf: "debug = false" } }]
        - type: env
          properties: { env: { A: b }, unset: [LEGACY_FLAG] }
        - type: gateway
          properties: { http: { "/": 80 }, labels: { exposed: "true" } }
    - name: db
      type: statefulset
      properties: { image: postgres:16 }
    - name: seed
      type: task
      inputs: [{ from: db-host, parameterKey: "env[0].value" }]
      properties: { image: registry.example.com/seed:7, ttlSecondsAfterFinished: 600 }
  policies:
    - { name: gc, type: garbage-collect, properties: { keepLegacyResource: true } }
    - { name: once, type: apply-once, properties: { enable: true } }
    - { name: shared, type: shared-resource, properties: { rules: [{ selector: { resourceTypes: [Namespace] } }] } }
    - { name: ro, type: read-only, properties: { rules: [{ selector: { componentNames: [db] } }] } }
    - { name: custom, type: my-company-policy }
    - { name: eu, type: topology, properties: { clusters: [eu-1] } }
  workflow:
    steps:
      - { name: approve, type: suspend }
      - { name: announce, type: notification, properties: { slack: { url: { value: "https://hooks.slack.com/x" }, message: { text: deploying } } } }
      - name: deploy-eu
        type: deploy
        if: context.stage == "prod"
        properties: { policies: [eu, tenant-defaults], auto: false }
      - { name: apply-db, type: apply-component, properties: { component: db } }
`),
    );
    expect(errors).toEqual([
      { path: '/metadata/finalizers', message: 'KubeVela metadata.finalizers has no Gantry equivalent' },
      {
        path: '/spec/components/0/properties/ports/0/containerPort',
        message:
          "KubeVela webservice property ports[].containerPort has no Gantry equivalent: a Gantry port is both the container's and the Service's: use the expose trait's targetPort",
      },
      {
        path: '/spec/components/0/properties/ports/0/nodePort',
        message:
          'KubeVela webservice property ports[].nodePort has no Gantry equivalent: use the expose trait with type NodePort',
      },
      {
        path: '/spec/components/0/properties/exposeType',
        message:
          "KubeVela webservice property exposeType has no Gantry equivalent: the Service of Gantry's webservice is a ClusterIP one: use the expose trait with type LoadBalancer",
      },
      {
        path: '/spec/components/0/properties/volumeMounts',
        message: 'KubeVela webservice property volumeMounts has no Gantry equivalent: use the storage trait',
      },
      {
        path: '/spec/components/0/properties/livenessProbe',
        message:
          'KubeVela webservice property livenessProbe has no Gantry equivalent: use the health-probes trait',
      },
      {
        path: '/spec/components/0/properties/env/0/valueFrom/fieldRef',
        message: 'KubeVela webservice property env[].valueFrom.fieldRef has no Gantry equivalent',
      },
      {
        path: '/spec/components/0/traits/0',
        message: 'KubeVela trait init-container has no Gantry equivalent',
      },
      {
        path: '/spec/components/0/traits/1/properties/pvc/0/subPath',
        message: 'KubeVela storage trait property pvc[].subPath has no Gantry equivalent',
      },
      {
        path: '/spec/components/0/traits/1/properties/hostPath',
        message: 'KubeVela storage trait property hostPath has no Gantry equivalent',
      },
      {
        path: '/spec/components/0/traits/1/properties/configMap/0/data',
        message:
          'KubeVela storage trait property configMap[].data has no Gantry equivalent: use the config-files trait, which writes the files',
      },
      {
        path: '/spec/components/0/traits/2/properties/unset',
        message:
          "KubeVela env trait property unset has no Gantry equivalent: Gantry's env trait cannot remove variables",
      },
      {
        path: '/spec/components/0/traits/3/properties/labels',
        message: 'KubeVela gateway trait property labels has no Gantry equivalent',
      },
      {
        path: '/spec/components/1',
        message:
          "KubeVela component type statefulset has no Gantry equivalent: rewrite it as Gantry's stateful-service",
      },
      {
        path: '/spec/components/2/inputs',
        message:
          'KubeVela component field inputs has no Gantry equivalent: Gantry components pass no data to each other',
      },
      {
        path: '/spec/components/2/properties/ttlSecondsAfterFinished',
        message: 'KubeVela task property ttlSecondsAfterFinished has no Gantry equivalent',
      },
      {
        path: '/spec/policies/0',
        message:
          "KubeVela policy type garbage-collect has no Gantry equivalent: Gantry prunes what a revision no longer renders (the application's prune options)",
      },
      {
        path: '/spec/policies/1',
        message:
          'KubeVela policy type apply-once has no Gantry equivalent: Gantry keeps every object as rendered and corrects drift',
      },
      {
        path: '/spec/policies/2',
        message:
          'KubeVela policy type shared-resource has no Gantry equivalent: an object belongs to one Gantry application',
      },
      {
        path: '/spec/policies/3',
        message:
          'KubeVela policy type read-only has no Gantry equivalent: Gantry applies every object it renders',
      },
      {
        path: '/spec/policies/4',
        message: 'KubeVela policy type my-company-policy has no Gantry equivalent',
      },
      {
        path: '/spec/workflow/steps/0',
        message:
          'KubeVela workflow step type suspend has no Gantry equivalent: Gantry delivers without a workflow, and converts deploy steps only',
      },
      {
        path: '/spec/workflow/steps/1',
        message:
          'KubeVela workflow step type notification has no Gantry equivalent: Gantry delivers without a workflow, and converts deploy steps only',
      },
      {
        path: '/spec/workflow/steps/2/if',
        message: 'KubeVela workflow step field if has no Gantry equivalent',
      },
      {
        path: '/spec/workflow/steps/2/properties/auto',
        message: 'KubeVela waits for an approval before this step: Gantry has no approval step',
      },
      {
        path: '/spec/workflow/steps/2/properties/policies/1',
        message:
          "names no policy of spec.policies: KubeVela's external Policy objects are not converted, so write tenant-defaults in the application",
      },
      {
        path: '/spec/workflow/steps/3',
        message:
          'KubeVela workflow step type apply-component has no Gantry equivalent: Gantry delivers without a workflow, and converts deploy steps only',
      },
    ]);
  });

  it('says Gantry needs target clusters when there is no topology policy', () => {
    const document = `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: { name: hello }
spec:
  components: [{ name: hello, type: webservice, properties: { image: "nginx:1.27" } }]
`;
    expect(errorsOf(convertYaml(document))).toEqual([
      {
        path: '/spec/policies',
        message: 'Gantry needs target clusters: add a topology policy naming clusters',
      },
    ]);
    // KubeVela deploys a topology without clusters, or a deploy step naming none, to its hub cluster.
    const hubOnly = parse(document) as { spec: Record<string, unknown> };
    hubOnly.spec['policies'] = [
      { name: 'hub', type: 'topology', properties: { namespace: 'web' } },
      { name: 'eu', type: 'topology', properties: { clusters: ['eu-1'] } },
    ];
    hubOnly.spec['workflow'] = { steps: [{ name: 'local', type: 'deploy', properties: { policies: [] } }] };
    expect(errorsOf(convertKubeVelaApplication(hubOnly, catalog))).toEqual([
      {
        path: '/spec/policies/0/properties',
        message:
          'topology hub selects no cluster (KubeVela would deploy to its hub cluster): Gantry needs target clusters: add clusters or clusterLabelSelector',
      },
      {
        path: '/spec/workflow/steps/0/properties/policies',
        message:
          'names no topology policy, so KubeVela would deploy to its hub cluster: Gantry needs target clusters',
      },
    ]);
  });

  it('takes the clusters a deploy step names, and leaves out a topology no step names', () => {
    const conversion = convertYaml(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: { name: api, namespace: api }
spec:
  components: [{ name: api, type: worker, properties: { image: "api:1" } }]
  policies:
    - { name: staging, type: topology, properties: { clusters: [staging-1], namespace: api-staging } }
    - { name: prod, type: topology, properties: { clusterSelector: { env: prod } } }
    - { name: tuned, type: override, properties: { components: [{ name: api, properties: { memory: 2Gi } }] } }
  workflow:
    steps:
      - { name: prod, type: deploy, properties: { policies: [prod] } }
`);
    expect(expectValidGantry(conversion)).toMatchObject({
      topology: { clusterSelector: { matchLabels: { env: 'prod' } }, namespace: 'api' },
      overrides: [{ components: [{ name: 'api', properties: { memory: '2Gi' } }] }],
    });
    expect(conversion.ok && conversion.notes).toEqual([
      'topology policy staging is named by no deploy step, so KubeVela delivers nothing through it: its clusters are not targets',
      'override policy tuned is named by no deploy step: applied on every target',
    ]);
  });

  it('refuses topologies Gantry cannot hold in one topology, and overrides it cannot express', () => {
    const errors = errorsOf(
      convertYaml(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: { name: shop, namespace: shop }
spec:
  components:
    - { name: web, type: webservice, properties: { image: "web:1" }, traits: [{ type: scaler, properties: { replicas: 2 } }] }
  policies:
    - { name: eu, type: topology, properties: { clusterLabelSelector: { region: eu } } }
    - { name: us, type: topology, properties: { clusterLabelSelector: { region: us }, namespace: shop-us } }
    - name: changes
      type: override
      properties:
        selector: [web]
        components:
          - { name: web, type: worker, properties: { image: "web:2" } }
          - { name: cache, type: helm, properties: { chart: redis } }
          - { name: web, properties: { volumeMounts: {} }, traits: [{ type: scaler, properties: { replicas: "many" } }, { type: json-patch }] }
`),
    );
    expect(errors).toEqual([
      {
        path: '/spec/policies/2/properties/selector',
        message:
          'KubeVela override property selector has no Gantry equivalent: Gantry delivers every component to every target',
      },
      {
        path: '/spec/policies/2/properties/components/0/type',
        message:
          "replaces component web (webservice) with a worker: Gantry overrides cannot change a component's type",
      },
      {
        path: '/spec/policies/2/properties/components/1/name',
        message:
          'names no component of spec.components (KubeVela would add cache on these targets): Gantry overrides change existing components only',
      },
      {
        path: '/spec/policies/2/properties/components/2/properties/volumeMounts',
        message: 'KubeVela webservice property volumeMounts has no Gantry equivalent: use the storage trait',
      },
      {
        path: '/spec/policies/2/properties/components/2/traits/1',
        message: 'KubeVela trait json-patch has no Gantry equivalent',
      },
      {
        path: '/spec/policies/1/properties/clusterLabelSelector',
        message:
          "Gantry's topology has one cluster selector, and topologies eu and us select differently: name their clusters instead",
      },
      {
        path: '/spec/policies/1/properties/namespace',
        message:
          'Gantry delivers an application into one namespace, and topologies eu and us use shop and shop-us',
      },
    ]);
  });

  it('checks the types against the catalog it is given, and passes through the types only the catalog has', () => {
    const document = parse(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: { name: data }
spec:
  components:
    - { name: db, type: postgres, properties: { version: "16", storage: 50Gi }, traits: [{ type: backup, properties: { schedule: "@daily" } }] }
    - { name: cache, type: helm, properties: { url: "https://charts.bitnami.com/bitnami", chart: redis } }
  policies: [{ name: dc, type: topology, properties: { clusters: [dc-1] } }]
`) as Record<string, unknown>;
    const withPostgres = { components: new Set(['postgres', 'webservice']), traits: new Set(['backup']) };
    expect(errorsOf(convertKubeVelaApplication(document, withPostgres))).toEqual([
      {
        path: '/spec/components/1',
        message: "KubeVela component type helm converts to Gantry's helm, which this server does not have",
      },
    ]);
    const converted = convertKubeVelaApplication(document, {
      ...withPostgres,
      components: new Set([...withPostgres.components, 'helm']),
    });
    expect(converted.ok && converted.object.spec.components[0]).toEqual({
      name: 'db',
      type: 'postgres',
      properties: { version: '16', storage: '50Gi' },
      traits: [{ type: 'backup', properties: { schedule: '@daily' } }],
    });
    // Without a catalog, only KubeVela's built-ins convert.
    expect(errorsOf(convertKubeVelaApplication(document)).map((e) => e.path)).toEqual([
      '/spec/components/0',
      '/spec/components/0/traits/0',
    ]);
  });

  it('keeps Gantry metadata the CLI adds, drops what the Kubernetes API server wrote, and checks the envelope', () => {
    const conversion = convertKubeVelaApplication({
      apiVersion: KUBEVELA_API_VERSION,
      kind: 'Application',
      metadata: {
        name: 'shop',
        team: 'payments',
        resourceVersion: '42',
        uid: '5f0c5a9e-6d1c-4f57-9a8e-1d1f3e3b7c11',
        generation: 3,
        creationTimestamp: '2025-01-01T00:00:00Z',
        managedFields: [{ manager: 'kubectl' }],
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          'app.oam.dev/revision': 'shop-v3',
        },
      },
      spec: {
        components: [{ name: 'web', type: 'webservice', properties: { image: 'nginx:1.27' } }],
        policies: [{ name: 'eu', type: 'topology', properties: { clusters: ['eu-1'] } }],
      },
      status: { status: 'running' },
    });
    expect(conversion.ok && conversion.object.metadata).toEqual({
      name: 'shop',
      team: 'payments',
      resourceVersion: '42',
      annotations: {},
    });
    expect(conversion.ok && conversion.notes).toEqual([
      "annotations kubectl.kubernetes.io/last-applied-configuration, app.oam.dev/revision dropped: KubeVela's (or kubectl's) own bookkeeping",
    ]);

    expect(
      errorsOf(
        convertKubeVelaApplication({
          apiVersion: 'core.oam.dev/v1alpha2',
          kind: 'ApplicationConfiguration',
          metadata: {},
          spec: { components: [] },
        }),
      ),
    ).toEqual([
      { path: '/apiVersion', message: 'must be core.oam.dev/v1beta1' },
      { path: '/kind', message: 'must be Application' },
      { path: '/metadata/name', message: 'is required' },
      { path: '/spec/components', message: 'must be a list of components' },
      {
        path: '/spec/policies',
        message: 'Gantry needs target clusters: add a topology policy naming clusters',
      },
    ]);
  });
});
