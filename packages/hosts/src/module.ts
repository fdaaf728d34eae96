import type { Logger } from 'pino';
import type { EventRecorder } from '@gantry/controllers';
import type { AuditRepository, Store } from '@gantry/store';
import { AgentAccess } from './access.ts';
import { HostService } from './hosts.ts';
import { AgentHub } from './hub.ts';
import { LocalSignals, PostgresSignals } from './signals.ts';

export interface HostsModuleOptions {
  store: Store;
  recorder: EventRecorder;
  logger: Logger;
  now: () => number;
  serverId: string;
  heartbeatSeconds: number;
  offlineAfterSeconds: number;
  rotateAfterSeconds: number;
}

export interface HostsModule {
  access: AgentAccess;
  hub: AgentHub;
  hosts: HostService;
  /** Join tokens made and revoked, hosts joined and deleted are audited. */
  audit: AuditRepository;
  close(): Promise<void>;
}

/** Wires hosts and agents over one store: PostgreSQL servers tell each other through NOTIFY. */
export async function createHostsModule(options: HostsModuleOptions): Promise<HostsModule> {
  const { store } = options;
  const access = new AgentAccess(store.hosts, {
    now: options.now,
    heartbeatSeconds: options.heartbeatSeconds,
    rotateAfterSeconds: options.rotateAfterSeconds,
    rotationGraceSeconds: 600,
    teamExists: async (team) =>
      (await store.resources.get({ kind: 'Team', team: '', name: team })) !== undefined,
  });
  const pgUrl = store.connection.pgUrl;
  const hub = new AgentHub({
    repository: store.hosts,
    access,
    recorder: options.recorder,
    signals:
      store.dialect === 'postgres' && pgUrl
        ? new PostgresSignals(store.connection.db, pgUrl)
        : new LocalSignals(),
    now: options.now,
    serverId: options.serverId,
    logger: options.logger,
    heartbeatSeconds: options.heartbeatSeconds,
    offlineAfterSeconds: options.offlineAfterSeconds,
  });
  await hub.start();
  return {
    access,
    hub,
    hosts: new HostService(store.hosts, hub, options.now, store.resources),
    audit: store.audit,
    close: () => hub.close(),
  };
}
