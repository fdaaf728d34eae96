/** Regions handed to clusters in turn, so a multi-cluster test bed looks like a fleet spread over data centers. */
export const regions = ['eu-west-1', 'us-east-1', 'ap-southeast-1', 'eu-central-1', 'us-west-2'] as const;

export const kwokNodeAnnotation = { key: 'kwok.x-k8s.io/node', value: 'fake' } as const;

export function regionFor(clusterIndex: number): string {
  return regions[clusterIndex % regions.length]!;
}

/**
 * A Node that kwok manages (the annotation matches kwok's --manage-nodes-with-annotation-selector) with
 * capacity and topology labels. There are no real nodes in the test bed, so unlike kwok's sample node it
 * carries no NoSchedule taint: plain workloads land on it without tolerations.
 */
export function fakeNode(cluster: string, region: string, index: number): Record<string, unknown> {
  const name = `${cluster}-node-${index + 1}`;
  const zone = `${region}${'abc'[index % 3]}`;
  const capacity = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '1Ti' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: {
        [kwokNodeAnnotation.key]: kwokNodeAnnotation.value,
        'node.alpha.kubernetes.io/ttl': '0',
      },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'kwok.32x256',
        'topology.kubernetes.io/region': region,
        'topology.kubernetes.io/zone': zone,
        'node-role.kubernetes.io/worker': '',
        type: 'kwok',
      },
    },
    spec: {},
    status: {
      capacity,
      allocatable: capacity,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'fake',
        kubeProxyVersion: 'fake',
        containerRuntimeVersion: 'kwok',
        osImage: 'kwok',
        kernelVersion: 'kwok',
      },
      phase: 'Running',
    },
  };
}
