import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';

export const HostGroupSpec = Type.Object(
  {
    selector: Type.String({
      maxLength: 4096,
      description:
        "A label selector over the team's hosts, e.g. `role=db,site in (fra1,fra2)`; empty selects every host.",
    }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type HostGroupSpec = Static<typeof HostGroupSpec>;

export const hostGroupKind: KindDefinition = {
  kind: 'HostGroup',
  plural: 'hostgroups',
  shortNames: ['hg'],
  scope: 'Team',
  description: "A named set of a team's hosts (machines running gantry agent), chosen by a label selector.",
  spec: HostGroupSpec,
  printerColumns: [{ name: 'Selector', jsonPath: '.spec.selector' }],
};
