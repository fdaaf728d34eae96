import type { Controller, EventRecorder } from '@gantry/controllers';
import type { ClusterClients } from '@gantry/fleet';
import type { ChangeFeed, ResourceService } from '@gantry/resources';
import type { AppliedObjectRepository, ResourceRepository } from '@gantry/store';
import type { Logger } from 'pino';
import { createCelEngine } from '../cel-environment.ts';
import { loadCatalog } from '../catalog/catalog.ts';
import { Composer } from '../compose/compose.ts';
import { HelmRenderer } from '../helm/helm-renderer.ts';
import { registerKubeVelaConversion } from '../kubevela/register.ts';
import { registerDeliveryAdmission } from './admission.ts';
import { createApplicationController, type ApplicationControllerDeps } from './application-controller.ts';
import { DefinitionSource } from './definitions.ts';
import { DeliveryService } from './delivery-service.ts';
import { RevisionManager } from './revisions.ts';
import { seedCatalog } from './seed.ts';

export interface DeliveryModuleDeps {
  resources: ResourceService;
  repository: ResourceRepository;
  records: AppliedObjectRepository;
  clients: ClusterClients;
  feed: Pick<ChangeFeed, 'subscribe'>;
  /** Where the controller's and the rollbacks' events go. */
  events: EventRecorder;
  helmPath: string;
  /** Directories whose charts a helm component may name by local path (none: no local charts). */
  helmChartDirs?: readonly string[];
  seedCatalog: boolean;
  logger: Logger;
  /** Tests shorten the drift resync and progress polling. */
  controller?: {
    driftResyncMs?: number;
    progressPollMs?: number;
    progressGraceMs?: number;
    observeReconcile?: (seconds: { own: number; api: number }) => void;
    /** Windows of drift restores (policy Restore); the server passes the change engine's. */
    restoreWindow?: ApplicationControllerDeps['restoreWindow'];
    /** Stopped lines and windows that hold new revisions (ADR 0033); the server passes the change engine's. */
    fleetGate?: ApplicationControllerDeps['fleetGate'];
  };
}

export interface DeliveryModule {
  controller: Controller;
  service: DeliveryService;
}

/** Wires delivery into a server: checks on the resource API, the catalog, the controller and the service behind its routes. */
export async function createDeliveryModule(deps: DeliveryModuleDeps): Promise<DeliveryModule> {
  const engine = createCelEngine();
  const composer = new Composer({
    engine,
    helm: new HelmRenderer({
      helmPath: deps.helmPath,
      timeoutMs: 30_000,
      localChartDirs: deps.helmChartDirs ?? [],
    }),
  });
  const definitions = new DefinitionSource(deps.repository);
  const revisions = new RevisionManager({
    resources: deps.resources,
    repository: deps.repository,
    definitions,
  });
  registerDeliveryAdmission({
    resources: deps.resources,
    repository: deps.repository,
    definitions,
    composer,
  });
  registerKubeVelaConversion(deps.resources);
  if (deps.seedCatalog) {
    const catalog = loadCatalog();
    const report = await seedCatalog(deps.resources, [...catalog.components, ...catalog.traits]);
    if (report.created.length + report.upgraded.length > 0)
      deps.logger.info(
        { created: report.created.length, upgraded: report.upgraded },
        'built-in definitions installed',
      );
  }
  const controller = createApplicationController({
    resources: deps.resources,
    repository: deps.repository,
    records: deps.records,
    revisions,
    clients: deps.clients,
    composer,
    engine,
    feed: deps.feed,
    events: deps.events,
    ...deps.controller,
  });
  const service = new DeliveryService({
    resources: deps.resources,
    repository: deps.repository,
    records: deps.records,
    revisions,
    definitions,
    clients: deps.clients,
    composer,
    events: deps.events,
  });
  return { controller, service };
}
