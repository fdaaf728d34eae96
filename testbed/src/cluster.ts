import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Binaries } from './binaries.ts';
import { fakeNode, kwokNodeAnnotation } from './fake-nodes.ts';
import { KubeClient } from './kube-client.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { stagesDir } from './options.ts';
import { clientIdentities, createClusterPki, type ClientName } from './pki.ts';
import { listensOn, startDetached, type ProcessRecord } from './processes.ts';
import type { ClusterPorts, ClusterState } from './state.ts';
import { TestbedError } from './testbed-error.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

/** Service network of every cluster; clusters are isolated, so they may all use the same one. */
const serviceCidr = '10.96.0.0/16';
const kubernetesServiceIp = '10.96.0.1';
const podCidr = '10.244.0.0/16';

export interface ClusterPlan {
  readonly name: string;
  readonly region: string;
  readonly dir: string;
  readonly ports: ClusterPorts;
  readonly nodes: number;
  readonly timeoutMs: number;
  /** The nice level of each process's session (`TestbedOptions.nice`). */
  readonly nice: number;
}

/** Every kwok Stage shipped in testbed/stages, one multi-document file for kwok's --config. */
async function kwokStages(): Promise<string> {
  const documents: string[] = [];
  for (const group of ['node', 'pod', 'volume']) {
    for (const file of (await readdir(join(stagesDir, group))).sort()) {
      const text = await readFile(join(stagesDir, group, file), 'utf8');
      if (/^kind: Stage$/m.test(text)) documents.push(text.trim());
    }
  }
  return `${documents.join('\n---\n')}\n`;
}

/**
 * Starts one cluster: PKI and kubeconfigs, etcd, kube-apiserver, then controller-manager, scheduler and
 * kwok, then its fake nodes. `record` is called with the cluster state as soon as it exists and after
 * each process starts, so a failure half-way still leaves `down` everything it needs.
 */
export async function startCluster(
  plan: ClusterPlan,
  binaries: Binaries,
  record: (state: ClusterState) => void,
): Promise<ClusterState> {
  const { name, dir, ports } = plan;
  const logs = join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  await mkdir(join(dir, 'etcd'), { recursive: true, mode: 0o700 });

  const server = `https://127.0.0.1:${ports.apiserver}`;
  const pki = await createClusterPki(join(dir, 'pki'), name, kubernetesServiceIp);
  const kubeconfigs = {} as Record<ClientName, string>;
  for (const client of Object.keys(clientIdentities) as ClientName[]) {
    kubeconfigs[client] = join(dir, `${clientIdentities[client].file}.kubeconfig`);
    const text = await renderKubeconfig({
      cluster: name,
      server,
      caCert: pki.ca.cert,
      client: pki.clients[client],
      user: clientIdentities[client].commonName,
    });
    await writeFile(kubeconfigs[client], text, { mode: 0o600 });
  }
  const stagesFile = join(dir, 'kwok-stages.yaml');
  await writeFile(stagesFile, await kwokStages());

  const state: ClusterState = {
    name,
    dir,
    server,
    kubeconfigPath: kubeconfigs.admin,
    region: plan.region,
    ports,
    pki,
    processes: [],
  };
  record(state);
  const start = (component: string, command: string, args: string[], port?: number): ProcessRecord => {
    const process = startDetached(component, command, args, join(logs, `${component}.log`), dir, {
      port,
      nice: plan.nice,
    });
    state.processes.push(process);
    record(state);
    return process;
  };
  const wait = <T>(what: string, check: () => Promise<T | undefined>) =>
    waitFor(`${name}: ${what}`, check, { timeoutMs: plan.timeoutMs, cluster: name, watch: state.processes });

  const etcdClientUrl = `http://127.0.0.1:${ports.etcdClient}`;
  const etcdPeerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  const etcd = start(
    'etcd',
    binaries.etcd,
    [
      `--name=${name}`,
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdClientUrl}`,
      `--advertise-client-urls=${etcdClientUrl}`,
      `--listen-peer-urls=${etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${etcdPeerUrl}`,
      `--initial-cluster=${name}=${etcdPeerUrl}`,
      `--initial-cluster-token=${name}`,
      '--initial-cluster-state=new',
      // Throwaway data: skipping fsync keeps several clusters from queueing on one disk.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    ports.etcdClient,
  );
  await wait('etcd health', async () => {
    if (!listensOn(etcd.pid, ports.etcdClient)) return undefined;
    const res = await fetch(`${etcdClientUrl}/health`);
    return res.ok && ((await res.json()) as { health?: string }).health === 'true' ? true : undefined;
  });

  const apiserver = start(
    'kube-apiserver',
    binaries.kubeApiserver,
    [
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${ports.apiserver}`,
      `--etcd-servers=${etcdClientUrl}`,
      `--client-ca-file=${pki.ca.cert}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${serviceCidr}`,
      `--requestheader-client-ca-file=${pki.frontProxyCa.cert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
      `--proxy-client-key-file=${pki.frontProxyClient.key}`,
      // The apiserver listens on 127.0.0.1 only, which Endpoints may not hold: without this it retries and
      // logs an error every 10 s. The in-cluster `kubernetes` Service then has no endpoints (kwok pods never dial it).
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--profiling=false',
      '--v=1',
    ],
    ports.apiserver,
  );
  const admin = new KubeClient(server, pki.ca.cert, pki.clients.admin);
  await wait('kube-apiserver /readyz', async () =>
    listensOn(apiserver.pid, ports.apiserver) && (await admin.request('GET', '/readyz')).status === 200
      ? true
      : undefined,
  );

  const delegated = (kubeconfig: string) => [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
  ];
  start(
    'kube-controller-manager',
    binaries.kubeControllerManager,
    [
      ...delegated(kubeconfigs.controllerManager),
      '--bind-address=127.0.0.1',
      `--secure-port=${ports.controllerManager}`,
      `--cert-dir=${join(dir, 'controller-manager-certs')}`,
      `--cluster-name=${name}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.ca.cert}`,
      `--cluster-signing-cert-file=${pki.ca.cert}`,
      `--cluster-signing-key-file=${pki.ca.key}`,
      `--service-cluster-ip-range=${serviceCidr}`,
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      '--v=1',
    ],
    ports.controllerManager,
  );
  start(
    'kube-scheduler',
    binaries.kubeScheduler,
    [
      ...delegated(kubeconfigs.scheduler),
      '--bind-address=127.0.0.1',
      `--secure-port=${ports.scheduler}`,
      `--cert-dir=${join(dir, 'scheduler-certs')}`,
      '--leader-elect=false',
      '--v=1',
    ],
    ports.scheduler,
  );
  start('kwok', binaries.kwok, [
    `--kubeconfig=${kubeconfigs.kwok}`,
    `--config=${stagesFile}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${kwokNodeAnnotation.key}=${kwokNodeAnnotation.value}`,
    `--cidr=${podCidr}`,
    '--node-lease-duration-seconds=40',
  ]);

  // The volume stages provision PersistentVolumes for this class; kubectl applies it as a user would.
  try {
    await run(binaries.kubectl, [
      '--kubeconfig',
      kubeconfigs.admin,
      'apply',
      '-f',
      join(stagesDir, 'volume', 'storage-class.yaml'),
    ]);
  } catch (error) {
    throw new TestbedError(
      `kubectl apply of the kwok-volume StorageClass failed: ${(error as { stderr?: string }).stderr ?? error}`,
      { step: 'storage class', cluster: name },
    );
  }
  // A few creates in flight at once: hundreds of nodes (the fleet benchmark) in seconds, not a minute.
  let next = 0;
  const createNodes = async () => {
    while (next < plan.nodes) await admin.create('/api/v1/nodes', fakeNode(name, plan.region, next++), true);
  };
  await Promise.all(Array.from({ length: Math.min(8, plan.nodes) }, createNodes));
  await wait('controller-manager and scheduler on their ports', async () =>
    state.processes.every((p) => p.port === undefined || listensOn(p.pid, p.port)) ? true : undefined,
  );
  return state;
}
