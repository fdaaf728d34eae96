export { AgentAccess, DEFAULT_JOIN_TOKEN_TTL_SECONDS, type AgentAccessOptions } from './access.ts';
export {
  AgentHub,
  HostReasons,
  type AgentHubOptions,
  type AgentPort,
  type AgentReport,
  type HostTransition,
  type ReportBatchListener,
} from './hub.ts';
export { GroupCommit, type GroupCommitOptions, type Schedule } from './group-commit.ts';
export { HostService, type HostQuery } from './hosts.ts';
export { LocalSignals, PostgresSignals, AGENT_CHANNEL, type HubSignal, type HubSignals } from './signals.ts';
export { hashSecret, newToken, splitToken } from './secrets.ts';
export { createHostsModule, type HostsModule, type HostsModuleOptions } from './module.ts';
export { hostGroupSelector, registerHostGroupAdmission, resolveHostGroup } from './host-group.ts';
export { hostDirectory } from './host-directory.ts';
