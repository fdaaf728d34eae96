import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestbedError } from './testbed-error.ts';

const run = promisify(execFile);

/** A client identity: Kubernetes takes the user from CN and the groups from O. */
interface ClientIdentity {
  readonly file: string;
  readonly commonName: string;
  readonly organization?: string;
}

/** The client certificates a cluster needs; the built-in RBAC roles already bind the two system users. */
export const clientIdentities = {
  admin: { file: 'admin', commonName: 'kubernetes-admin', organization: 'system:masters' },
  controllerManager: { file: 'controller-manager', commonName: 'system:kube-controller-manager' },
  scheduler: { file: 'scheduler', commonName: 'system:kube-scheduler' },
  // kwok writes node and pod status, leases and events for every fake node; a narrower role buys nothing here.
  kwok: { file: 'kwok', commonName: 'kwok-controller', organization: 'system:masters' },
} as const satisfies Record<string, ClientIdentity>;

export type ClientName = keyof typeof clientIdentities;

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface ClusterPki {
  readonly dir: string;
  readonly ca: KeyPair;
  readonly apiserver: KeyPair;
  /** Signs service-account tokens (controller-manager, apiserver) and verifies them (apiserver). */
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  readonly clients: Record<ClientName, KeyPair>;
  /** The aggregation layer's own CA and the client certificate the apiserver shows aggregated API servers. */
  readonly frontProxyCa: KeyPair;
  readonly frontProxyClient: KeyPair;
}

const requestConfig = '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n';

async function openssl(args: string[], cluster: string): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new TestbedError(`openssl ${args[0]} failed: ${stderr.trim()}`, { step: 'pki', cluster });
  }
}

async function newKey(path: string, cluster: string): Promise<void> {
  // P-256 keys are generated in milliseconds; RSA would make PKI the slowest part of `up`.
  await openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path],
    cluster,
  );
}

function subject(commonName: string, organization?: string): string {
  return `${organization ? `/O=${organization}` : ''}/CN=${commonName}`;
}

async function signedCert(
  dir: string,
  name: string,
  subj: string,
  extensions: string[],
  cluster: string,
  ca: KeyPair = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') },
): Promise<KeyPair> {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext.cnf`);
  await newKey(pair.key, cluster);
  await writeFile(join(dir, 'req.cnf'), requestConfig);
  await openssl(
    ['req', '-new', '-key', pair.key, '-subj', subj, '-config', join(dir, 'req.cnf'), '-out', csr],
    cluster,
  );
  await writeFile(
    extFile,
    [
      '[ext]',
      'basicConstraints = critical,CA:FALSE',
      'authorityKeyIdentifier = keyid',
      ...extensions,
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      extFile,
      '-extensions',
      'ext',
      '-out',
      pair.cert,
    ],
    cluster,
  );
  return pair;
}

/**
 * Generates a cluster's PKI with openssl: its own CA, the apiserver's serving certificate for 127.0.0.1 and
 * the in-cluster service names, the service-account key pair and one client certificate per component.
 */
export async function createClusterPki(dir: string, cluster: string, serviceIp: string): Promise<ClusterPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(
    join(dir, 'ca.cnf'),
    `${requestConfig}[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier = hash\n`,
  );
  const newCa = async (name: string, commonName: string): Promise<KeyPair> => {
    const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    await newKey(pair.key, cluster);
    await openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        pair.key,
        '-subj',
        subject(commonName),
        '-days',
        '3650',
        '-sha256',
        '-config',
        join(dir, 'ca.cnf'),
        '-extensions',
        'v3_ca',
        '-out',
        pair.cert,
      ],
      cluster,
    );
    return pair;
  };
  const ca = await newCa('ca', `gantry-testbed-ca-${cluster}`);

  const names = [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
  ];
  const apiserver = await signedCert(
    dir,
    'apiserver',
    subject('kube-apiserver'),
    [
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = IP:127.0.0.1,IP:${serviceIp},${names.map((name) => `DNS:${name}`).join(',')}`,
    ],
    cluster,
  );

  const clients = {} as Record<ClientName, KeyPair>;
  for (const [name, identity] of Object.entries(clientIdentities) as [ClientName, ClientIdentity][]) {
    clients[name] = await signedCert(
      dir,
      identity.file,
      subject(identity.commonName, identity.organization),
      ['keyUsage = critical,digitalSignature,keyEncipherment', 'extendedKeyUsage = clientAuth'],
      cluster,
    );
  }

  // A separate CA, as kubeadm does: a certificate from the cluster CA must not pass as the front proxy.
  const frontProxyCa = await newCa('front-proxy-ca', `gantry-testbed-front-proxy-ca-${cluster}`);
  const frontProxyClient = await signedCert(
    dir,
    'front-proxy-client',
    subject('front-proxy-client'),
    ['keyUsage = critical,digitalSignature,keyEncipherment', 'extendedKeyUsage = clientAuth'],
    cluster,
    frontProxyCa,
  );

  const serviceAccountKey = join(dir, 'service-account.key');
  const serviceAccountPublicKey = join(dir, 'service-account.pub');
  await newKey(serviceAccountKey, cluster);
  await openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPublicKey], cluster);
  return {
    dir,
    ca,
    apiserver,
    serviceAccountKey,
    serviceAccountPublicKey,
    clients,
    frontProxyCa,
    frontProxyClient,
  };
}

export async function readPem(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
