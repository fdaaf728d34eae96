import type { DiagnosisTreeSpec } from '@gantry/model';

/**
 * The built-in diagnosis trees, as data: a HealingPolicy names one as `builtin/<name>`. Their conclusions
 * name conventional actions (`restart-kubelet`, `cordon-drain`, `clean-logs`, `rollback`) that a policy
 * using the tree must define (admission checks it), or `none` / `escalate`.
 */
export const BUILTIN_TREES: Readonly<Record<string, DiagnosisTreeSpec>> = {
  /** A node NotReady: recovered meanwhile, host down, kubelet down, or a network partition. */
  'node-not-ready': {
    description: 'A node NotReady: host down (cordon and drain), kubelet down (restart it), or a partition.',
    subject: 'Node',
    evidence: [
      { name: 'node', inventory: { object: 'node' } },
      { name: 'agent', heartbeat: {} },
      {
        name: 'kubelet',
        description: 'A read-only job: exit code 0 when the kubelet service is active.',
        job: { template: 'check-kubelet', parameters: { node: '${entity.node}' }, timeout: '2m' },
      },
      { name: 'node-events', events: { window: '30m' } },
    ],
    root: 'still-not-ready',
    steps: [
      {
        name: 'still-not-ready',
        branches: [
          {
            when: 'evidence.node.found && evidence.node.ready',
            conclude: { rootCause: 'Recovered', supporting: ['node'], action: 'none' },
          },
        ],
        otherwise: { next: 'host-alive' },
      },
      {
        name: 'host-alive',
        branches: [
          {
            when: '!evidence.agent.found || !evidence.agent.online',
            conclude: {
              rootCause: 'HostDown',
              summary: 'the host agent is silent too: the machine is down',
              supporting: ['node', 'agent'],
              action: 'cordon-drain',
            },
          },
        ],
        otherwise: { next: 'kubelet' },
      },
      {
        name: 'kubelet',
        branches: [
          {
            when: 'evidence.kubelet.exitCode != 0',
            conclude: {
              rootCause: 'KubeletDown',
              summary: 'the host is up and its kubelet is not active',
              supporting: ['node', 'agent', 'kubelet'],
              action: 'restart-kubelet',
            },
          },
        ],
        otherwise: {
          conclude: {
            rootCause: 'NetworkPartition',
            summary: 'host and kubelet are up, the API server does not hear the node: a partition',
            supporting: ['node', 'agent', 'kubelet', 'node-events'],
            action: 'escalate',
          },
        },
      },
    ],
  },

  /** A DataNode's data disk filling up: logs that can be cleaned, or data growth for a person. */
  'datanode-disk-filling': {
    description: 'A DataNode disk filling up: clean logs when they are the cause, else escalate.',
    subject: 'Node',
    evidence: [
      {
        name: 'hours-to-full',
        promql: {
          source: 'prometheus',
          query:
            'min(node_filesystem_avail_bytes{instance=~"${entity.node}(:.*)?",mountpoint=~"/data.*"} / clamp_min(-deriv(node_filesystem_avail_bytes{instance=~"${entity.node}(:.*)?",mountpoint=~"/data.*"}[1h]), 1)) / 3600',
        },
      },
      {
        name: 'log-share',
        promql: {
          source: 'prometheus',
          query:
            'sum(node_directory_size_bytes{instance=~"${entity.node}(:.*)?",directory=~"/data.*/logs"}) / sum(node_filesystem_size_bytes{instance=~"${entity.node}(:.*)?",mountpoint=~"/data.*"})',
        },
      },
    ],
    root: 'filling',
    steps: [
      {
        name: 'filling',
        branches: [
          {
            when: 'has(evidence.hours_to_full.value) && evidence.hours_to_full.value < 24.0',
            next: 'logs',
          },
        ],
        otherwise: { conclude: { rootCause: 'NotFilling', supporting: ['hours-to-full'], action: 'none' } },
      },
      {
        name: 'logs',
        branches: [
          {
            when: 'has(evidence.log_share.value) && evidence.log_share.value > 0.2',
            conclude: {
              rootCause: 'LogsFillingDisk',
              summary: 'logs take more than a fifth of the data disk',
              supporting: ['hours-to-full', 'log-share'],
              action: 'clean-logs',
            },
          },
        ],
        otherwise: {
          conclude: {
            rootCause: 'DataGrowth',
            summary: 'the data itself grows: rebalance or add capacity (a person decides)',
            supporting: ['hours-to-full', 'log-share'],
            action: 'escalate',
          },
        },
      },
    ],
  },

  /** Pods crash-looping after a revision: the revision is the suspect. */
  'crashloop-after-revision': {
    description: 'Pods crash-looping: a change in the 30 minutes before is the suspect (roll back).',
    subject: 'Workload',
    evidence: [
      { name: 'workload', inventory: { object: 'workload' } },
      { name: 'recent-changes', changes: { window: '30m' } },
      { name: 'backoff', events: { window: '30m', reason: 'BackOff' } },
    ],
    root: 'crashing',
    steps: [
      {
        name: 'crashing',
        branches: [{ when: 'evidence.backoff.count > 0', next: 'after-change' }],
        otherwise: { conclude: { rootCause: 'NotCrashing', supporting: ['backoff'], action: 'none' } },
      },
      {
        name: 'after-change',
        branches: [
          {
            when: 'evidence.recent_changes.count > 0',
            conclude: {
              rootCause: 'BadRevision',
              summary: 'pods crash-loop since a change of the last 30 minutes',
              supporting: ['recent-changes', 'backoff', 'workload'],
              action: 'rollback',
            },
          },
        ],
        otherwise: {
          conclude: {
            rootCause: 'CrashLoopUnknownCause',
            supporting: ['backoff', 'workload'],
            action: 'escalate',
          },
        },
      },
    ],
  },

  /** A workload unhealthy after a change. */
  'workload-unhealthy-after-change': {
    description: 'A workload with fewer ready replicas than desired after a change: roll the change back.',
    subject: 'Workload',
    evidence: [
      { name: 'workload', inventory: { object: 'workload' } },
      { name: 'recent-changes', changes: { window: '1h' } },
      { name: 'alerts', alerts: {} },
    ],
    root: 'unhealthy',
    steps: [
      {
        name: 'unhealthy',
        branches: [
          {
            when: 'evidence.workload.found && evidence.workload.ready < evidence.workload.desired',
            next: 'changed',
          },
        ],
        otherwise: { conclude: { rootCause: 'Healthy', supporting: ['workload'], action: 'none' } },
      },
      {
        name: 'changed',
        branches: [
          {
            when: 'evidence.recent_changes.count > 0',
            conclude: {
              rootCause: 'ChangeSuspected',
              summary: 'unhealthy since a change of the last hour',
              supporting: ['workload', 'recent-changes', 'alerts'],
              action: 'rollback',
            },
          },
        ],
        otherwise: {
          conclude: {
            rootCause: 'UnhealthyWithoutChange',
            supporting: ['workload', 'alerts'],
            action: 'escalate',
          },
        },
      },
    ],
  },

  /** A whole rack or zone gone: nothing automatic can help and anything could hurt. Escalate. */
  'domain-down': {
    description: 'A whole rack or zone gone: do nothing automatically, page a person with the evidence.',
    subject: 'Domain',
    evidence: [{ name: 'alerts', alerts: {} }],
    root: 'gone',
    steps: [
      {
        name: 'gone',
        branches: [
          {
            when: 'evidence.alerts.firing > 0',
            conclude: {
              rootCause: 'DomainDown',
              summary:
                'a whole failure domain is down: power, network or top-of-rack switch; a person decides',
              supporting: ['alerts'],
              action: 'escalate',
            },
          },
        ],
        otherwise: { conclude: { rootCause: 'DomainRecovered', supporting: ['alerts'], action: 'none' } },
      },
    ],
  },
};
