/**
 * Delivery on the wire (docs/adr/0007-delivery.md): the specs and statuses of the delivery kinds and the
 * bodies of the application actions (rollback, diff). The shapes are the model's schemas
 * (packages/model/src/kinds/delivery.ts, api/delivery-actions.ts), imported as types only.
 */
import type {
  ApplicationRevisionSpec,
  ApplicationSpec,
  ApplicationStatus,
  ComponentDefinitionSpec,
  TraitDefinitionSpec,
} from '@gantry/model';
import type { Resource } from './resource.ts';

export type {
  ApplicationDiff,
  ApplicationRevisionSpec,
  ApplicationSpec,
  ApplicationStatus,
  ComponentDefinitionSpec,
  ComponentSpec,
  DiffRequest,
  EnvironmentSpec,
  FieldChange,
  HealthState,
  LabelSelectorSpec,
  ObjectAction,
  ObjectDiff,
  OutputTemplate,
  OverrideSpec,
  RollbackRequest,
  TargetDiff,
  TopologySpec,
  TraitDefinitionSpec,
  TraitSpec,
} from '@gantry/model';
export { applicationSelector, deliveryAnnotations, deliveryLabels } from '@gantry/model/wire-constants';

/** One (cluster, namespace) the application is delivered to. */
export type ApplicationTarget = NonNullable<ApplicationStatus['targets']>[number];
/** One cell of the components × clusters health matrix. */
export type ComponentHealth = NonNullable<ApplicationStatus['components']>[number];
export type TargetPhase = ApplicationTarget['phase'];
export type DefinitionSnapshot = ApplicationRevisionSpec['definitions']['components'][string];

export type Application = Resource & { spec: ApplicationSpec; status?: ApplicationStatus };
export type ApplicationRevision = Resource & { spec: ApplicationRevisionSpec };
export type ComponentDefinition = Resource & { spec: ComponentDefinitionSpec };
export type TraitDefinition = Resource & { spec: TraitDefinitionSpec };

/** The path of an application action (`rollback`, `diff`). */
export function applicationActionPath(team: string, name: string, action: 'rollback' | 'diff'): string {
  return `/api/teams/${encodeURIComponent(team)}/applications/${encodeURIComponent(name)}/${action}`;
}
