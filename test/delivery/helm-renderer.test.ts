import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCelEngine } from '../../packages/delivery/src/cel-environment.ts';
import {
  catalogDefinitionSet,
  deploymentHealthPolicy,
  podDisruptionBudgetHealthPolicy,
} from '../../packages/delivery/src/catalog/catalog.ts';
import { Composer, type RenderedObject } from '../../packages/delivery/src/compose/compose.ts';
import {
  HelmError,
  HelmRenderer,
  parseManifests,
  type HelmRenderInput,
} from '../../packages/delivery/src/helm/helm-renderer.ts';
import { testbedHelmPath } from '../support/testbed-helm.ts';

const chart = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/charts/hello');
/** The fixtures' charts are the only local charts these renderers may read. */
const allowFixtures = { localChartDirs: [dirname(chart)] };

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered manifests are read field by field */
type Loose = Record<string, any>;

const helmPath = testbedHelmPath();

function input(overrides: Partial<HelmRenderInput> = {}): HelmRenderInput {
  return { chart, values: {}, releaseName: 'shop', namespace: 'prod', ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<HelmError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HelmError);
  return error as HelmError;
}

describe('HelmRenderer', () => {
  it('renders a chart with its values, release name and namespace, in helm order', async () => {
    const helm = new HelmRenderer({ helmPath, timeoutMs: 20_000, ...allowFixtures });
    const manifests = await helm.render(input({ values: { replicaCount: 3, service: { port: 8080 } } }));
    expect(manifests.map((m) => [m.kind, m.metadata.name, m.metadata.namespace])).toEqual([
      ['Service', 'shop', 'prod'],
      ['Deployment', 'shop', 'prod'],
    ]);
    const [service, deployment] = manifests as unknown as [Loose, Loose];
    expect(service.spec.ports).toEqual([{ port: 8080, targetPort: 80 }]);
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers).toEqual([{ name: 'hello', image: 'nginx:1.27' }]);
  });

  it('reads scalars as Kubernetes does: 0644 is octal, a bare date stays a string', async () => {
    const helm = new HelmRenderer({ helmPath, timeoutMs: 20_000, ...allowFixtures });
    const deployment = (await helm.render(input())).find((m) => m.kind === 'Deployment') as Loose;
    expect(deployment.spec.template.spec.volumes[0].configMap.defaultMode).toBe(420);
    expect(deployment.metadata.annotations).toEqual({ released: '2024-05-01' });
  });

  it('drops the empty documents a disabled template leaves', async () => {
    const helm = new HelmRenderer({ helmPath, timeoutMs: 20_000, ...allowFixtures });
    const manifests = await helm.render(input({ values: { service: { enabled: false } } }));
    expect(manifests.map((m) => m.kind)).toEqual(['Deployment']);
  });

  it("reports a failing chart with helm's error and its stderr", async () => {
    const helm = new HelmRenderer({ helmPath, timeoutMs: 20_000, ...allowFixtures });
    const error = await failure(helm.render(input({ values: { failHere: true } })));
    expect(error.reason).toBe('exit');
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/failHere was set/);
    expect(error.stderr).toMatch(/^.*failHere was set/m);
    expect(error.stderr).toBe(error.stderr.trim());
  });

  it('passes a release name beginning with "-" as an argument, never as a flag', async () => {
    const helm = new HelmRenderer({ helmPath, timeoutMs: 20_000, ...allowFixtures });
    const error = await failure(helm.render(input({ releaseName: '--post-renderer=/bin/echo' })));
    expect(error.reason).toBe('exit');
    expect(error.message).toMatch(/--post-renderer=\/bin\/echo/);
    expect(error.message).not.toMatch(/post-renderer.*(executed|plugin)/);
  });

  it('reads local charts only inside the allowed directories, before helm runs', async () => {
    const none = new HelmRenderer({ helmPath, timeoutMs: 20_000 });
    const refused = await failure(none.render(input()));
    expect(refused).toMatchObject({
      reason: 'refused',
      message: `local charts are not allowed on this server (GANTRY_HELM_CHART_DIRS is empty): ${chart}`,
    });

    const helm = new HelmRenderer({ helmPath, timeoutMs: 20_000, ...allowFixtures });
    expect((await failure(helm.render(input({ chart: '/etc' })))).message).toBe(
      'local chart /etc is outside the directories the server allows (GANTRY_HELM_CHART_DIRS)',
    );
    expect(
      (await failure(helm.render(input({ chart: `${dirname(chart)}/../../fixtures/../../package.json` }))))
        .reason,
    ).toBe('refused');
    expect((await failure(helm.render(input({ chart: 'test/fixtures/charts/hello' })))).message).toMatch(
      /must be an absolute path/,
    );
    expect((await failure(helm.render(input({ chart: '--post-renderer=/bin/echo' })))).reason).toBe(
      'refused',
    );
    expect((await failure(helm.render(input({ chart: `${dirname(chart)}/missing` })))).message).toBe(
      `no local chart at ${dirname(chart)}/missing`,
    );
    // A link inside an allowed directory that leads out of it is followed before the check.
    const outside = await mkdtemp(join(tmpdir(), 'gantry-chart-'));
    const links = await mkdtemp(join(tmpdir(), 'gantry-charts-'));
    try {
      await cp(chart, join(outside, 'hello'), { recursive: true });
      await symlink(join(outside, 'hello'), join(links, 'escape'));
      const linked = new HelmRenderer({ helmPath, timeoutMs: 20_000, localChartDirs: [links] });
      expect((await failure(linked.render(input({ chart: join(links, 'escape') })))).reason).toBe('refused');
      const allowed = new HelmRenderer({ helmPath, timeoutMs: 20_000, localChartDirs: [links, outside] });
      expect((await allowed.render(input({ chart: join(links, 'escape') }))).map((m) => m.kind)).toEqual([
        'Service',
        'Deployment',
      ]);
    } finally {
      await rm(outside, { recursive: true, force: true });
      await rm(links, { recursive: true, force: true });
    }
    // With a repo the chart is a name in it; references helm resolves remotely go to helm as they are.
    expect(
      (await failure(helm.render(input({ chart: '../hello', repo: 'https://127.0.0.1:1/charts' })))).message,
    ).toMatch(/must be a chart name in it/);
    expect(
      (await failure(helm.render(input({ chart: 'hello', repo: 'https://127.0.0.1:1/charts' })))).reason,
    ).toBe('exit');
    expect((await failure(helm.render(input({ chart: 'oci://127.0.0.1:1/charts/hello' })))).reason).toBe(
      'exit',
    );
    expect(none.runs).toBe(0);
  });

  it('kills helm after the timeout', async () => {
    const helm = new HelmRenderer({ helmPath, timeoutMs: 1, ...allowFixtures });
    const error = await failure(helm.render(input()));
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe('helm template did not finish within 1 ms');
  });

  it('reports a helm binary that cannot run', async () => {
    const helm = new HelmRenderer({ helmPath: '/nonexistent/helm', timeoutMs: 20_000, ...allowFixtures });
    const error = await failure(helm.render(input()));
    expect(error.reason).toBe('spawn');
    expect(error.message).toMatch(/could not run \/nonexistent\/helm/);
  });

  it('renders identical inputs once, whatever the order of the values, and hands out copies', async () => {
    const helm = new HelmRenderer({ helmPath, timeoutMs: 20_000, ...allowFixtures });
    const first = await helm.render(input({ values: { replicaCount: 2, image: 'nginx:1' } }));
    first[0]!.metadata.name = 'changed by the caller';
    const again = await helm.render(input({ values: { image: 'nginx:1', replicaCount: 2 } }));
    expect(helm.runs).toBe(1);
    expect(again[0]!.metadata.name).toBe('shop');
    await helm.render(input({ values: { replicaCount: 4 } }));
    await helm.render(input({ namespace: 'staging', values: { replicaCount: 2, image: 'nginx:1' } }));
    expect(helm.runs).toBe(3);
  });

  it('forgets the least recently used render beyond cacheSize, and never caches a failure', async () => {
    const helm = new HelmRenderer({ helmPath, timeoutMs: 20_000, cacheSize: 1, ...allowFixtures });
    await helm.render(input({ releaseName: 'a' }));
    await helm.render(input({ releaseName: 'b' }));
    await helm.render(input({ releaseName: 'a' }));
    expect(helm.runs).toBe(3);
    await failure(helm.render(input({ values: { failHere: true } })));
    await failure(helm.render(input({ values: { failHere: true } })));
    expect(helm.runs).toBe(5);
  });
});

describe('parseManifests', () => {
  it('refuses a document that is not an object, and invalid YAML', () => {
    expect(() => parseManifests('---\n- a\n- b\n')).toThrow(/not an object/);
    expect(() => parseManifests('a: [1\n')).toThrow(HelmError);
  });

  it('keeps documents in order and skips empty ones', () => {
    const text =
      '---\n# Source: a.yaml\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n';
    expect(parseManifests(text).map((m) => m.kind)).toEqual(['A', 'B']);
  });
});

describe('the helm component of the catalog', () => {
  const composer = new Composer({
    engine: createCelEngine(),
    helm: new HelmRenderer({ helmPath, timeoutMs: 20_000, ...allowFixtures }),
  });
  const context = {
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
  const output = (objects: RenderedObject[], name: string): Loose =>
    objects.find((o) => o.output === name)!.object as Loose;

  it('helm: the chart rendered by helm with the values, release and namespace', async () => {
    const result = await composer.compose(
      catalogDefinitionSet(),
      {
        name: 'api',
        type: 'helm',
        properties: { chart: chart, values: { replicaCount: 2, service: { port: 8080 } } },
        traits: [{ type: 'pdb', properties: { minAvailable: 1 } }],
      },
      context,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const objects = result.objects;
    expect(objects.map((o) => [o.output, o.stage, o.workload, o.health])).toEqual([
      ['helm/Service/api', 'main', false, undefined],
      ['helm/Deployment/api', 'main', true, deploymentHealthPolicy],
      ['trait/pdb/pdb', 'post', false, podDisruptionBudgetHealthPolicy],
    ]);
    const deployment = output(objects, 'helm/Deployment/api');
    expect(deployment.metadata).toMatchObject({
      namespace: 'prod',
      labels: { 'app.kubernetes.io/name': 'hello', ...stamped },
    });
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'api',
      ...stamped,
    });
    expect(output(objects, 'helm/Service/api').spec.ports).toEqual([{ port: 8080, targetPort: 80 }]);
  });
});
