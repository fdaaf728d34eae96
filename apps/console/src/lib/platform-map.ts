/**
 * The console's navigation follows the seed's platform map: six kinds of ops work plus administration.
 * An entry names the resource kinds that back it; when the server has none of them yet, the console
 * says so instead of showing placeholder data.
 */
export type SectionKey =
  'delivery' | 'monitoring' | 'management' | 'control' | 'operations' | 'service' | 'admin';

export interface PlatformEntry {
  readonly key: string;
  readonly label: string;
  readonly description: string;
  /** Kinds that back the entry, best first. */
  readonly kinds: readonly string[];
  /** A dedicated console route; otherwise the entry opens the resource browser for its kind. */
  readonly route?: string;
  /** Other path prefixes of the entry's pages, for highlighting it in the navigation. */
  readonly paths?: readonly string[];
  readonly adminOnly?: boolean;
}

export interface PlatformSection {
  readonly key: SectionKey;
  readonly label: string;
  readonly entries: readonly PlatformEntry[];
}

export const platformMap: readonly PlatformSection[] = [
  {
    key: 'delivery',
    label: 'Delivery',
    entries: [
      {
        key: 'teams',
        label: 'Teams',
        kinds: ['Team'],
        route: '/teams',
        description: 'Teams, their members and roles.',
      },
      {
        key: 'clusters',
        label: 'Clusters',
        kinds: ['Cluster'],
        route: '/fleet',
        description: 'Kubernetes clusters and host groups under management.',
      },
      {
        key: 'applications',
        label: 'Applications',
        kinds: ['Application'],
        route: '/delivery/applications',
        paths: ['/delivery/teams'],
        description: 'OAM applications delivered to clusters: health, revisions, rollback and diff.',
      },
      {
        key: 'catalog',
        label: 'Catalog',
        kinds: ['ComponentDefinition', 'TraitDefinition'],
        route: '/delivery/catalog',
        description: 'Component types and traits applications are built from.',
      },
    ],
  },
  {
    key: 'monitoring',
    label: 'Monitoring',
    entries: [
      {
        key: 'events',
        label: 'Events',
        kinds: [],
        route: '/events',
        description: 'The event center: what happened across the fleet.',
      },
      {
        key: 'alerts',
        label: 'Alerts',
        kinds: [],
        route: '/alerts',
        description: 'Alerts as notified, silences, routing trees and the delivery log.',
      },
      {
        key: 'health',
        label: 'Health center',
        kinds: [],
        route: '/health',
        description:
          'Exceptions with their timeline and actions, failures by level with their review, risks and inspection runs.',
      },
    ],
  },
  {
    key: 'management',
    label: 'Management',
    entries: [
      {
        key: 'changes',
        label: 'Changes',
        kinds: ['Change'],
        route: '/changes',
        paths: ['/changes'],
        description: 'Changes rolled out in observed batches; the windows as a calendar.',
      },
      {
        key: 'hosts',
        label: 'Hosts',
        kinds: ['HostGroup'],
        route: '/hosts',
        description:
          'Machines running gantry agent: status, facts, labels, host groups, join tokens and their jobs.',
      },
      {
        key: 'job-templates',
        label: 'Job templates',
        kinds: ['JobTemplate'],
        route: '/jobs/templates',
        paths: ['/jobs/teams'],
        description:
          'Jobs: scripts and actions to run on hosts or clusters, with forms from their parameters.',
      },
      {
        key: 'job-runs',
        label: 'Job runs',
        kinds: [],
        route: '/jobs/runs',
        description: 'Jobs: runs, their targets by state, live output, cancel and re-run.',
      },
    ],
  },
  {
    key: 'control',
    label: 'Control',
    entries: [
      {
        key: 'healing',
        label: 'Healing',
        kinds: ['HealingPolicy'],
        route: '/healing',
        paths: ['/healing'],
        description:
          'Self-healing: runs and why they did what they did, the approvals inbox, policies in shadow mode and their scorecard, statistics.',
      },
      {
        key: 'scaling',
        label: 'Scaling',
        kinds: ['ScalingPolicy'],
        description: 'Elastic scaling policies.',
      },
    ],
  },
  {
    key: 'operations',
    label: 'Operations',
    entries: [
      {
        key: 'quality',
        label: 'Quality',
        kinds: ['QualityReport'],
        description: 'Quality operations: SLOs and failure statistics.',
      },
      {
        key: 'cost',
        label: 'Cost',
        kinds: ['CostReport', 'Budget'],
        description: 'Cost operations: budgets and spend.',
      },
      {
        key: 'efficiency',
        label: 'Efficiency',
        kinds: ['EfficiencyReport'],
        description: 'Efficiency operations: utilisation and idle capacity.',
      },
    ],
  },
  {
    key: 'service',
    label: 'Service',
    entries: [
      {
        key: 'search',
        label: 'Search',
        kinds: [],
        route: '/search',
        description: 'Find any resource by name or label.',
      },
    ],
  },
  {
    key: 'admin',
    label: 'Administration',
    entries: [
      {
        key: 'users',
        label: 'Users',
        kinds: [],
        route: '/admin/users',
        adminOnly: true,
        description: 'Accounts and administrators.',
      },
      {
        key: 'tokens',
        label: 'Tokens',
        kinds: [],
        route: '/tokens',
        description: 'Your API tokens for the CLI and automation.',
      },
      {
        key: 'audit',
        label: 'Audit log',
        kinds: [],
        route: '/admin/audit',
        description: 'Who changed what, and when.',
      },
      {
        key: 'resources',
        label: 'Resources',
        kinds: [],
        route: '/resources',
        description: 'Every resource kind the server knows.',
      },
    ],
  },
];

export function findEntry(key: string): { section: PlatformSection; entry: PlatformEntry } | undefined {
  for (const section of platformMap) {
    const entry = section.entries.find((candidate) => candidate.key === key);
    if (entry) return { section, entry };
  }
  return undefined;
}
