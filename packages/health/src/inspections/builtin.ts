import type { InspectionSpec } from '@gantry/model';

/** A built-in inspection: a manifest a team applies as it is or edits first. */
export interface InspectionTemplate {
  name: string;
  description: string;
  /** What it needs to find anything (e.g. a MetricsSource named `prometheus`). */
  requires: string[];
  spec: InspectionSpec;
}

const HOURLY = { cron: '7 * * * *', timeZone: 'UTC' };

/**
 * What an SRE team checks on a big-data fleet, shipped as templates (ADR 0020): `GET
 * /api/inspection-templates` and `gantry inspections templates` print them as Inspection manifests to
 * apply. Templates rather than a per-team switch: a team sees and owns exactly what runs, changes a
 * threshold or a cron by editing its object, and the server's upgrades never change a team's checks.
 */
export const INSPECTION_TEMPLATES: readonly InspectionTemplate[] = [
  {
    name: 'node-pressure',
    description: 'Nodes under disk, memory or PID pressure, as their kubelets report it.',
    requires: [],
    spec: {
      schedule: { cron: '*/10 * * * *', timeZone: 'UTC' },
      suspend: false,
      checks: [
        {
          name: 'node-pressure',
          inventory: { over: 'nodes', condition: 'node.pressure.size() > 0' },
          score: 70,
          scoreExpression: "'DiskPressure' in node.pressure || 'MemoryPressure' in node.pressure ? 80 : 60",
          title: "${node.name} (${node.cluster}) reports ${node.pressure.join(', ')}",
          maxRisks: 500,
        },
      ],
    },
  },
  {
    name: 'node-pressure-metrics',
    description:
      "Nodes near disk or memory pressure before the kubelet says so: node_exporter's filesystem and memory figures over a MetricsSource named `prometheus`.",
    requires: ['MetricsSource prometheus scraping node_exporter'],
    spec: {
      schedule: { cron: '*/10 * * * *', timeZone: 'UTC' },
      suspend: false,
      checks: [
        {
          name: 'disk-nearly-full',
          promql: {
            source: 'prometheus',
            query:
              'max by (cluster, node, instance, mountpoint) (1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay"})',
            condition: 'value > 0.85',
            whenEmpty: 'noData',
          },
          score: 60,
          scoreExpression: 'value > 0.95 ? 90 : value > 0.9 ? 75 : 60',
          title: '${labels.instance} ${labels.mountpoint} is ${string(int(value * 100.0))}% full',
          maxRisks: 500,
        },
        {
          name: 'memory-nearly-full',
          promql: {
            source: 'prometheus',
            query:
              'max by (cluster, node, instance) (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)',
            condition: 'value > 0.9',
            whenEmpty: 'noData',
          },
          score: 70,
          title: '${labels.instance} uses ${string(int(value * 100.0))}% of its memory',
          maxRisks: 500,
        },
      ],
    },
  },
  {
    name: 'cluster-not-ready-nodes',
    description: 'Clusters with NotReady nodes; the more of them, the higher the score.',
    requires: [],
    spec: {
      schedule: { cron: '*/5 * * * *', timeZone: 'UTC' },
      suspend: false,
      checks: [
        {
          name: 'not-ready-nodes',
          inventory: { over: 'clusters', condition: 'cluster.notReadyNodes > 0' },
          score: 50,
          scoreExpression: 'cluster.nodes == 0 ? 50 : 40 + 60 * cluster.notReadyNodes / cluster.nodes',
          title:
            '${cluster.name}: ${string(cluster.notReadyNodes)} of ${string(cluster.nodes)} nodes NotReady',
          maxRisks: 500,
        },
      ],
    },
  },
  {
    name: 'workload-resilience',
    description:
      'Workloads that one voluntary disruption takes down: a single replica, or several without a PodDisruptionBudget (where the inventory holds them).',
    requires: [],
    spec: {
      schedule: HOURLY,
      suspend: false,
      checks: [
        {
          name: 'single-replica',
          inventory: {
            over: 'workloads',
            condition: "workload.kind in ['Deployment', 'StatefulSet'] && workload.desired == 1",
          },
          score: 40,
          title:
            '${workload.kind} ${workload.namespace}/${workload.name} (${workload.cluster}) has one replica',
          maxRisks: 1000,
        },
        {
          name: 'no-pod-disruption-budget',
          inventory: {
            over: 'workloads',
            condition:
              "workload.kind in ['Deployment', 'StatefulSet'] && workload.desired > 1 && workload.podDisruptionBudget == 'uncovered'",
          },
          score: 30,
          title:
            '${workload.kind} ${workload.namespace}/${workload.name} (${workload.cluster}) has no PodDisruptionBudget',
          maxRisks: 1000,
        },
      ],
    },
  },
  {
    name: 'unpinned-images',
    description: 'Workloads running images by `:latest` or without a tag, and without a digest.',
    requires: [],
    spec: {
      schedule: HOURLY,
      suspend: false,
      checks: [
        {
          name: 'unpinned-images',
          inventory: { over: 'workloads', condition: 'workload.unpinnedImages.size() > 0' },
          score: 35,
          title:
            "${workload.kind} ${workload.namespace}/${workload.name} (${workload.cluster}) runs ${workload.unpinnedImages.join(', ')}",
          maxRisks: 1000,
        },
      ],
    },
  },
  {
    name: 'certificate-expiry',
    description:
      "Clusters whose kubeconfig client certificate (the one Gantry uses) expires within 30 days, and the clusters' kubernetes.io/tls Secrets whose certificate does; where none is visible, nothing is reported.",
    requires: [
      'a Cluster whose kubeconfig carries client-certificate-data',
      'for TLS Secrets: GANTRY_FLEET_TLS_CERTIFICATES=true on the server',
    ],
    spec: {
      schedule: { cron: '17 6 * * *', timeZone: 'UTC' },
      suspend: false,
      checks: [
        {
          name: 'client-certificate',
          inventory: {
            over: 'clusters',
            condition: 'cluster.clientCertificate != null && cluster.clientCertificate.daysLeft < 30',
          },
          score: 60,
          scoreExpression:
            'cluster.clientCertificate.daysLeft < 0 ? 100 : cluster.clientCertificate.daysLeft < 7 ? 90 : 60',
          title: '${cluster.name}: client certificate expires ${cluster.clientCertificate.notAfter}',
          maxRisks: 500,
        },
        {
          name: 'tls-secret',
          inventory: {
            over: 'certificates',
            condition: 'certificate.readable && certificate.daysLeft < 30',
          },
          score: 60,
          scoreExpression: 'certificate.daysLeft < 0 ? 100 : certificate.daysLeft < 7 ? 90 : 60',
          title:
            '${certificate.namespace}/${certificate.name} (${certificate.cluster}): certificate expires ${certificate.notAfter}',
          maxRisks: 500,
        },
      ],
    },
  },
];
