import { describe, expect, it } from 'vitest';
import { InputError, NotFoundError, type Resource } from '@gantry/model';
import { ClusterClientError, ClusterClients, type KubeClientFactory } from './cluster-clients.ts';
import type { KubeClient } from './kube/kube-client.ts';

interface FakeClient extends KubeClient {
  kubeconfig: string;
  closed: boolean;
}

/** A registry of one team's clusters and secrets, and a factory that records the clients it builds. */
function setup(
  initial: {
    clusters?: Record<string, { secret: string; key?: string; context?: string }>;
    secrets?: Record<string, Record<string, string>>;
  } = {},
) {
  const clusters = new Map(Object.entries(initial.clusters ?? {}));
  const secrets = new Map(Object.entries(initial.secrets ?? {}));
  const built: FakeClient[] = [];
  const factory: KubeClientFactory = async (kubeconfig, context) => {
    await Promise.resolve();
    if (kubeconfig === 'garbage')
      throw new InputError('the kubeconfig cannot be read: bad YAML', [
        { path: '/kubeconfig', message: 'bad YAML' },
      ]);
    const client: FakeClient = {
      kubeconfig: `${kubeconfig}@${context ?? ''}`,
      closed: false,
      server: `https://${kubeconfig}`,
      request: () => Promise.reject(new Error('not used')),
      watch: () => Promise.reject(new Error('not used')),
      close: () => {
        client.closed = true;
      },
    };
    built.push(client);
    return client;
  };
  const clients = new ClusterClients({
    repository: {
      get: ({ kind, team, name }) => {
        const cluster = kind === 'Cluster' && team === 'sre' ? clusters.get(name) : undefined;
        const resource: Resource | undefined = cluster && {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Cluster',
          metadata: {
            name,
            team,
            uid: name,
            resourceVersion: '1',
            generation: 1,
            creationTimestamp: '',
            updatedTimestamp: '',
            labels: {},
            annotations: {},
          },
          spec: {
            kubeconfigSecret: { name: cluster.secret, key: cluster.key ?? 'kubeconfig' },
            paused: false,
            ...(cluster.context ? { context: cluster.context } : {}),
          },
        };
        return Promise.resolve(resource);
      },
    },
    secrets: {
      reveal: (team, name) => {
        const data = team === 'sre' ? secrets.get(name) : undefined;
        return data
          ? Promise.resolve({ ...data })
          : Promise.reject(new NotFoundError(`secret ${team}/${name} not found`));
      },
    },
    clientFactory: factory,
  });
  return { clients, clusters, secrets, built };
}

describe('ClusterClients', () => {
  it('builds one client per cluster from its secret and reuses it while the kubeconfig stays the same', async () => {
    const { clients, built } = setup({
      clusters: { east: { secret: 'east-kc' } },
      secrets: { 'east-kc': { kubeconfig: 'east-1' } },
    });
    const [a, b] = await Promise.all([clients.get('sre', 'east'), clients.get('sre', 'east')]);
    const c = await clients.get('sre', 'east');
    expect(a).toBe(b);
    expect(a).toBe(c);
    expect(built.map((client) => client.kubeconfig)).toEqual(['east-1@']);
  });

  it('replaces and closes the client when the kubeconfig or the context changes', async () => {
    const { clients, clusters, secrets, built } = setup({
      clusters: { east: { secret: 'east-kc' } },
      secrets: { 'east-kc': { kubeconfig: 'east-1' } },
    });
    const first = (await clients.get('sre', 'east')) as FakeClient;
    secrets.set('east-kc', { kubeconfig: 'east-2' });
    const second = (await clients.get('sre', 'east')) as FakeClient;
    clusters.set('east', { secret: 'east-kc', context: 'admin' });
    const third = (await clients.get('sre', 'east')) as FakeClient;
    await Promise.resolve();
    expect(built.map((client) => client.kubeconfig)).toEqual(['east-1@', 'east-2@', 'east-2@admin']);
    expect([first.closed, second.closed, third.closed]).toEqual([true, true, false]);
  });

  it('forgets one cluster, or all, closing their clients', async () => {
    const { clients, built } = setup({
      clusters: { east: { secret: 'kc' }, west: { secret: 'kc' } },
      secrets: { kc: { kubeconfig: 'k' } },
    });
    await clients.get('sre', 'east');
    await clients.get('sre', 'west');
    clients.forget('sre', 'east');
    await Promise.resolve();
    expect(built.map((c) => c.closed)).toEqual([true, false]);
    await clients.get('sre', 'east');
    clients.closeAll();
    await Promise.resolve();
    expect(built.map((c) => c.closed)).toEqual([true, true, true]);
  });

  it.each([
    [
      'a cluster that is not registered',
      'nowhere',
      'ClusterNotFound',
      404,
      'cluster sre/nowhere: no such cluster is registered',
    ],
    [
      'a missing secret',
      'no-secret',
      'SecretMissing',
      404,
      'cluster sre/no-secret: secret sre/gone not found',
    ],
    [
      'a secret without the key',
      'no-key',
      'SecretMissing',
      404,
      'cluster sre/no-key: secret kc has no key config',
    ],
    [
      'an unreadable kubeconfig',
      'garbage',
      'KubeconfigInvalid',
      400,
      'cluster sre/garbage: the kubeconfig cannot be read: bad YAML',
    ],
  ])('names %s', async (_what, cluster, reason, status, message) => {
    const { clients } = setup({
      clusters: {
        'no-secret': { secret: 'gone' },
        'no-key': { secret: 'kc', key: 'config' },
        garbage: { secret: 'bad' },
      },
      secrets: { kc: { kubeconfig: 'k' }, bad: { kubeconfig: 'garbage' } },
    });
    const error = await clients.get('sre', cluster).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterClientError);
    expect(error).toMatchObject({ reason, status, message, cluster: `sre/${cluster}` });
  });

  it('builds again after a failed build once the kubeconfig is fixed', async () => {
    const { clients, secrets, built } = setup({
      clusters: { east: { secret: 'kc' } },
      secrets: { kc: { kubeconfig: 'garbage' } },
    });
    await expect(clients.get('sre', 'east')).rejects.toThrow(ClusterClientError);
    await expect(clients.get('sre', 'east')).rejects.toThrow('bad YAML');
    secrets.set('kc', { kubeconfig: 'good' });
    expect(((await clients.get('sre', 'east')) as FakeClient).kubeconfig).toBe('good@');
    expect(built).toHaveLength(1);
  });
});
