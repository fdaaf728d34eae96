/**
 * Hosts and join tokens on the wire (docs/reference/hosts.md, docs/adr/0016-host-agent.md), as the model
 * declares them (packages/model/src/api/hosts.ts), imported as types only.
 */
export type {
  Host,
  HostDisk,
  HostFacts,
  HostLabels,
  HostList,
  HostNodeLink,
  HostStatus,
  JoinToken,
  JoinTokenCreate,
  JoinTokenCreated,
  JoinTokenList,
} from '@gantry/model';
