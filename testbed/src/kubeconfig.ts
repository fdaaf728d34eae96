import { readFile } from 'node:fs/promises';
import type { KeyPair } from './pki.ts';

const base64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * A self-contained kubeconfig (certificates inline), so the text alone is enough to reach the cluster:
 * that is what Gantry stores as a cluster's secret.
 */
export async function renderKubeconfig(options: {
  cluster: string;
  server: string;
  caCert: string;
  client: KeyPair;
  user: string;
}): Promise<string> {
  const [ca, cert, key] = await Promise.all(
    [options.caCert, options.client.cert, options.client.key].map((path) => readFile(path, 'utf8')),
  );
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${options.cluster}`,
    '  cluster:',
    `    server: ${options.server}`,
    `    certificate-authority-data: ${base64(ca!)}`,
    'users:',
    `- name: ${options.user}`,
    '  user:',
    `    client-certificate-data: ${base64(cert!)}`,
    `    client-key-data: ${base64(key!)}`,
    'contexts:',
    `- name: ${options.cluster}`,
    '  context:',
    `    cluster: ${options.cluster}`,
    `    user: ${options.user}`,
    `current-context: ${options.cluster}`,
    '',
  ].join('\n');
}
