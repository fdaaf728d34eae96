import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';

/** How many entities of one failure domain may be out at once: a count (`1`) or a share of the domain (`10%`). */
export const MAX_UNAVAILABLE_PATTERN = '^([0-9]{1,6}|([1-9][0-9]?|100)%)$';

/** The pseudo-label every entity has: its cluster (nodes) or `''` (hosts). */
export const CLUSTER_DOMAIN_LABEL = 'gantry.dev/cluster';

export const DisruptionBudgetSpec = Type.Object(
  {
    entityKind: Type.Union([Type.Literal('Node'), Type.Literal('Host'), Type.Literal('Cluster')], {
      default: 'Node',
      description:
        'The entities it counts: nodes, hosts, or clusters an application revision rolls out to (`cluster/application`, with the cluster’s labels).',
    }),
    selector: Type.Optional(
      Type.String({
        maxLength: 4096,
        description: 'A label selector: the entities it covers (default every entity of the kind).',
      }),
    ),
    domainLabel: Type.String({
      minLength: 1,
      maxLength: 317,
      default: CLUSTER_DOMAIN_LABEL,
      description:
        'The label whose value is the failure domain: `gantry.dev/cluster` (the default), `topology.kubernetes.io/zone`, a rack label. Entities without it share the domain `""`.',
    }),
    maxUnavailable: Type.String({
      pattern: MAX_UNAVAILABLE_PATTERN,
      maxLength: 8,
      description:
        'Entities of one domain that Gantry may have out at once, for every change together: a count or a share of the domain (rounded down, at least 1 unless 0).',
    }),
  },
  { additionalProperties: false },
);
export type DisruptionBudgetSpec = Static<typeof DisruptionBudgetSpec>;

export const disruptionBudgetKind: KindDefinition = {
  kind: 'DisruptionBudget',
  plural: 'disruptionbudgets',
  shortNames: ['budget'],
  scope: 'Team',
  description:
    'How many entities of each failure domain (cluster, zone, rack) Gantry may take out at once, for every change together.',
  spec: DisruptionBudgetSpec,
  printerColumns: [
    { name: 'Kind', jsonPath: '.spec.entityKind' },
    { name: 'Domain', jsonPath: '.spec.domainLabel' },
    { name: 'Max', jsonPath: '.spec.maxUnavailable' },
  ],
};
