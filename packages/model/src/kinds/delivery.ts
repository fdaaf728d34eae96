import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, NAME_PATTERN, StringEnum } from '../resource.ts';
import { CHANGE_FAILURE_POLICIES, ChangeApplicationRevision, ChangeGates, ChangePlan } from './change.ts';

/**
 * Delivery kinds (issue 4): definitions written by operators, applications written by developers, the
 * immutable revisions Gantry records, and environments mapping a stage to clusters. Decisions:
 * docs/adr/0007-delivery.md.
 */

const Name = Type.String({ pattern: NAME_PATTERN, maxLength: 63 });
const Version = Type.String({
  pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
  maxLength: 64,
  description: 'Semantic version of the definition.',
});
/** Any JSON object: a template, a JSON Schema, a manifest. Checked by the delivery package, not here. */
const AnyObject = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });
const JsonSchemaObject = AnyObject(
  'JSON Schema (draft 2020-12 subset) of the properties; drives validation, CLI help and console forms.',
);

export const LabelSelectorSpec = Type.Object(
  {
    matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.String({ minLength: 1 }),
            operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: Type.Optional(Type.Array(Type.String())),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false, description: 'Kubernetes-style label selector over Cluster labels.' },
);
export type LabelSelectorSpec = Static<typeof LabelSelectorSpec>;

export const OutputTemplate = Type.Object(
  {
    name: Type.String({
      pattern: NAME_PATTERN,
      maxLength: 63,
      description: 'Names the output within the definition (unique).',
    }),
    includeWhen: Type.Optional(
      Type.String({
        maxLength: 4096,
        description: 'A `${...}` CEL expression; the output is rendered only when it is true.',
      }),
    ),
    template: AnyObject('A Kubernetes object with `${...}` CEL expressions over `parameter` and `context`.'),
  },
  { additionalProperties: false },
);
export type OutputTemplate = Static<typeof OutputTemplate>;

export const HealthPolicySpec = Type.Object(
  {
    policy: Type.String({
      minLength: 1,
      maxLength: 4096,
      description:
        'CEL over `metadata`, `spec`, `status` of the live object: a bool, or `{healthy, message}`.',
    }),
  },
  { additionalProperties: false },
);

export const ComponentDefinitionSpec = Type.Object(
  {
    version: Version,
    description: Type.String({ maxLength: 2000, default: '' }),
    category: Type.Optional(Type.String({ maxLength: 63 })),
    workload: Type.Object(
      {
        apiVersion: Type.String({ minLength: 1, maxLength: 253 }),
        kind: Type.String({ minLength: 1, maxLength: 63 }),
        podTemplatePath: Type.Optional(
          Type.String({
            pattern: '^(/[^/]+)+$',
            maxLength: 253,
            description:
              'JSON pointer to the pod template inside the workload, where traits patch pods (e.g. /spec/template).',
          }),
        ),
      },
      {
        additionalProperties: false,
        description: 'What the component runs as; traits name it in appliesToWorkloads (`deployments.apps`).',
      },
    ),
    schema: JsonSchemaObject,
    templates: Type.Array(OutputTemplate, {
      maxItems: 32,
      description:
        'Objects the component renders; the first is the workload (except for helm, whose chart renders them).',
    }),
    helm: Type.Optional(
      Type.Object(
        {
          chart: Type.String({
            minLength: 1,
            maxLength: 1024,
            description: 'Chart reference passed to `helm template` (a `${...}` template).',
          }),
          repo: Type.Optional(Type.String({ maxLength: 1024 })),
          version: Type.Optional(Type.String({ maxLength: 128 })),
          values: Type.Optional(AnyObject('Values (a template).')),
          releaseName: Type.Optional(Type.String({ maxLength: 253 })),
        },
        { additionalProperties: false, description: 'Render with the helm binary instead of templates.' },
      ),
    ),
    upgradePolicy: Type.Optional(
      StringEnum(['Immediate', 'Staged'], {
        description:
          'How applications take a new generation of the definition (ADR 0039). Immediate (absent): every application using it records a new revision at once. Staged: each application stays on the generation it has until a Change with `definitionUpgrade` reaches it, cluster by cluster.',
      }),
    ),
    health: Type.Optional(HealthPolicySpec),
  },
  { additionalProperties: false },
);
export type ComponentDefinitionSpec = Static<typeof ComponentDefinitionSpec>;

export const TraitDefinitionSpec = Type.Object(
  {
    version: Version,
    description: Type.String({ maxLength: 2000, default: '' }),
    category: Type.Optional(Type.String({ maxLength: 63 })),
    appliesToWorkloads: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
      default: ['*'],
      description: 'Workloads as `<plural>.<group>` (deployments.apps), component types (webservice) or `*`.',
    }),
    conflictsWith: Type.Array(Name, {
      default: [],
      description: 'Traits that must not be on the same component.',
    }),
    podDisruptive: Type.Boolean({ default: false, description: 'Whether changing the trait restarts pods.' }),
    stage: StringEnum(['pre', 'post'], {
      default: 'post',
      description: 'pre: its objects are applied before the workload; post: after it.',
    }),
    schema: JsonSchemaObject,
    patch: Type.Optional(
      AnyObject('Merged into the workload (keyed merges for containers, env, ports, volumes).'),
    ),
    podPatch: Type.Optional(
      AnyObject("Merged into the workload's pod template (the component definition's podTemplatePath)."),
    ),
    outputs: Type.Array(OutputTemplate, {
      default: [],
      maxItems: 16,
      description: 'Objects the trait adds.',
    }),
    upgradePolicy: Type.Optional(
      StringEnum(['Immediate', 'Staged'], {
        description:
          'How applications take a new generation of the definition (ADR 0039). Immediate (absent): every application using it records a new revision at once. Staged: each application stays on the generation it has until a Change with `definitionUpgrade` reaches it, cluster by cluster.',
      }),
    ),
    health: Type.Optional(HealthPolicySpec),
  },
  { additionalProperties: false },
);
export type TraitDefinitionSpec = Static<typeof TraitDefinitionSpec>;

const DefinitionStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);

export const TraitSpec = Type.Object(
  {
    type: Name,
    properties: Type.Optional(AnyObject("Checked against the trait definition's schema.")),
  },
  { additionalProperties: false },
);
export type TraitSpec = Static<typeof TraitSpec>;

export const ComponentSpec = Type.Object(
  {
    name: Name,
    type: Name,
    properties: Type.Optional(AnyObject("Checked against the component definition's schema.")),
    traits: Type.Optional(Type.Array(TraitSpec, { maxItems: 32 })),
    dependsOn: Type.Optional(
      Type.Array(Name, {
        maxItems: 32,
        description: 'Components that must be healthy on a cluster before this one is applied there.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ComponentSpec = Static<typeof ComponentSpec>;

export const TopologySpec = Type.Object(
  {
    clusters: Type.Optional(
      Type.Array(Name, { maxItems: 500, description: "Clusters of the application's team, by name." }),
    ),
    clusterSelector: Type.Optional(LabelSelectorSpec),
    environments: Type.Optional(
      Type.Array(Name, { maxItems: 32, description: 'Environments whose clusters are targets.' }),
    ),
    namespace: Type.String({
      pattern: NAME_PATTERN,
      maxLength: 63,
      default: 'default',
      description: 'Namespace on every target (an environment may set its own).',
    }),
  },
  { additionalProperties: false },
);
export type TopologySpec = Static<typeof TopologySpec>;

export const OverrideSpec = Type.Object(
  {
    clusters: Type.Optional(Type.Array(Name, { maxItems: 500 })),
    clusterSelector: Type.Optional(LabelSelectorSpec),
    environments: Type.Optional(Type.Array(Name, { maxItems: 32 })),
    components: Type.Array(
      Type.Object(
        {
          name: Name,
          properties: Type.Optional(AnyObject("Merged (JSON merge patch) into the component's properties.")),
          traits: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  type: Name,
                  properties: Type.Optional(
                    AnyObject(
                      "Merged into the trait's properties; adds the trait if the component lacks it.",
                    ),
                  ),
                  disable: Type.Optional(Type.Boolean({ description: 'Remove the trait on these targets.' })),
                },
                { additionalProperties: false },
              ),
              { maxItems: 32 },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 64 },
    ),
  },
  {
    additionalProperties: false,
    description: 'Properties and traits for the targets it selects (all targets when it names none).',
  },
);
export type OverrideSpec = Static<typeof OverrideSpec>;

/**
 * An application's rollout policy (ADR 0036): a new revision is not applied to every cluster at once but
 * by a Change of kind `applicationRevision` that the application controller creates, wave by wave.
 */
export const ApplicationRollout = Type.Object(
  {
    strategy: StringEnum(['Fleet'], {
      default: 'Fleet',
      description: 'Fleet: waves across the target clusters, each observed for its bake time.',
    }),
    plan: Type.Object(
      { batches: ChangePlan.properties.batches, maxConcurrent: ChangePlan.properties.maxConcurrent },
      {
        additionalProperties: false,
        default: {},
        description: 'The waves: batches of clusters, each baked.',
      },
    ),
    gates: ChangeGates,
    onFailure: Type.Union(
      CHANGE_FAILURE_POLICIES.map((policy) => Type.Literal(policy)),
      {
        default: 'Rollback',
        description: 'The rollout Change’s failurePolicy: Pause, Abort, Alert or Rollback (the default).',
      },
    ),
    windows: Type.Array(Type.String({ pattern: NAME_PATTERN, maxLength: 63 }), {
      default: [],
      maxItems: 20,
      description: 'ChangeWindows the rollout honours, beside those that apply to every change.',
    }),
    partitionStep: ChangeApplicationRevision.properties.partitionStep,
    progressDeadlineSeconds: ChangeApplicationRevision.properties.progressDeadlineSeconds,
  },
  { additionalProperties: false },
);
export type ApplicationRollout = Static<typeof ApplicationRollout>;

/**
 * What an application's clusters are held at while a rollout (or a revision change made by a Change) runs:
 * the value of the annotation `app.gantry.dev/cluster-revisions` (JSON). A cluster it names gets that
 * revision; every other target gets `base`. Written by the applicationRevision actuator, read by the
 * application controller's deploy stage, removed by the controller once every target runs the newest
 * revision.
 */
export const ClusterRevisionPins = Type.Object(
  {
    base: Type.Integer({ minimum: 1, description: 'The revision of every target not named in clusters.' }),
    clusters: Type.Record(Type.String(), Type.Integer({ minimum: 1 }), {
      description: 'Cluster → the revision it is held at.',
    }),
    latest: Type.Integer({
      minimum: 1,
      description:
        'The newest revision when the pins were written: without a rollout policy, a newer revision drops the pins.',
    }),
    previous: Type.Optional(
      Type.Record(Type.String(), Type.Integer({ minimum: 1 }), {
        description: 'Cluster → the revision it ran before its pin: what an undo returns it to.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ClusterRevisionPins = Static<typeof ClusterRevisionPins>;

export const ApplicationSpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    components: Type.Array(ComponentSpec, { minItems: 1, maxItems: 64 }),
    topology: TopologySpec,
    overrides: Type.Optional(Type.Array(OverrideSpec, { maxItems: 64 })),
    prune: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean({
            default: true,
            description: 'Delete what a new revision no longer renders.',
          }),
          persistentVolumeClaims: Type.Boolean({
            default: false,
            description: 'Also delete PVCs (never by default).',
          }),
          adoptUnowned: Type.Boolean({
            default: false,
            description: 'Take over (and later prune) objects Gantry did not create.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    revisionHistoryLimit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    rollout: Type.Optional(ApplicationRollout),
    // Change detection (ADR 0031): what happens when another field manager edits fields Gantry applied.
    drift: Type.Optional(
      Type.Object(
        {
          policy: StringEnum(['Report', 'Restore'], {
            default: 'Report',
            description:
              'Report: record a DriftDetected event and leave the edit until the next resync; Restore: also apply the fields again at once, inside the windows.',
          }),
          windows: Type.Array(Type.String({ pattern: NAME_PATTERN, maxLength: 63 }), {
            default: [],
            maxItems: 20,
            description:
              'ChangeWindows of the team a restore honours, beside those that apply to every change. None: any time.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ApplicationSpec = Static<typeof ApplicationSpec>;

export const HealthState = StringEnum(['Healthy', 'Progressing', 'Unhealthy', 'Unknown']);
export type HealthState = Static<typeof HealthState>;

export const ApplicationStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
    revision: Type.Optional(Type.Integer({ description: 'The revision last applied.' })),
    latestRevision: Type.Optional(Type.Integer({ description: 'The newest revision recorded.' })),
    health: Type.Optional(HealthState),
    targets: Type.Optional(
      Type.Array(
        Type.Object(
          {
            cluster: Type.String(),
            namespace: Type.String(),
            environment: Type.Optional(Type.String()),
            phase: StringEnum(['Applied', 'Waiting', 'Failed', 'Unreachable']),
            message: Type.Optional(Type.String()),
            revision: Type.Optional(Type.Integer()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    components: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String(),
            cluster: Type.String(),
            health: HealthState,
            message: Type.Optional(Type.String()),
            workload: Type.Optional(Type.String({ description: 'kind/namespace/name of the workload.' })),
          },
          { additionalProperties: false },
        ),
        { description: 'The components × clusters health matrix, one cell per entry.' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ApplicationStatus = Static<typeof ApplicationStatus>;

export const DefinitionSnapshot = Type.Object(
  { version: Type.String(), generation: Type.Integer(), spec: Type.Unknown() },
  { additionalProperties: false },
);

export const ApplicationRevisionSpec = Type.Object(
  {
    application: Name,
    revision: Type.Integer({ minimum: 1 }),
    hash: Type.String({ description: 'sha256 of the application spec and the definitions.' }),
    applicationSpec: ApplicationSpec,
    definitions: Type.Object(
      {
        components: Type.Record(Type.String(), DefinitionSnapshot),
        traits: Type.Record(Type.String(), DefinitionSnapshot),
      },
      { additionalProperties: false, description: 'The exact definitions the revision renders with.' },
    ),
    cause: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'Why the revision was made: an update, or a rollback to revision N.',
      }),
    ),
    upgrade: Type.Optional(
      Type.Object(
        {
          change: Type.String({ description: 'The Change (definitionUpgrade) that recorded the revision.' }),
          kind: StringEnum(['ComponentDefinition', 'TraitDefinition']),
          name: Name,
          generation: Type.Integer({ minimum: 1 }),
        },
        {
          additionalProperties: false,
          description:
            'Set on a revision a definition upgrade recorded (ADR 0039): the application’s spec with one definition moved to another generation, pinned cluster by cluster; no rollout Change of its own.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ApplicationRevisionSpec = Static<typeof ApplicationRevisionSpec>;

export const EnvironmentSpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    clusters: Type.Optional(Type.Array(Name, { maxItems: 500 })),
    clusterSelector: Type.Optional(LabelSelectorSpec),
    namespace: Type.Optional(
      Type.String({
        pattern: NAME_PATTERN,
        maxLength: 63,
        description: "Overrides the application's namespace on this environment's clusters.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type EnvironmentSpec = Static<typeof EnvironmentSpec>;

export const componentDefinitionKind: KindDefinition = {
  kind: 'ComponentDefinition',
  plural: 'componentdefinitions',
  shortNames: ['compdef', 'cd'],
  scope: 'Global',
  description:
    'A type of component (webservice, worker, helm...): a properties schema, templates that render Kubernetes objects, and a health policy.',
  spec: ComponentDefinitionSpec,
  status: DefinitionStatus,
  printerColumns: [
    { name: 'Version', jsonPath: '.spec.version' },
    { name: 'Workload', jsonPath: '.spec.workload.kind' },
  ],
};

export const traitDefinitionKind: KindDefinition = {
  kind: 'TraitDefinition',
  plural: 'traitdefinitions',
  shortNames: ['traitdef', 'td'],
  scope: 'Global',
  description:
    'An operational capability attached to components (scaler, env, ingress...): a schema, patches and extra objects, with the workloads it applies to and the traits it conflicts with.',
  spec: TraitDefinitionSpec,
  status: DefinitionStatus,
  printerColumns: [
    { name: 'Version', jsonPath: '.spec.version' },
    { name: 'Stage', jsonPath: '.spec.stage' },
    { name: 'Applies-To', jsonPath: '.spec.appliesToWorkloads' },
  ],
};

export const applicationKind: KindDefinition = {
  kind: 'Application',
  plural: 'applications',
  shortNames: ['app'],
  scope: 'Team',
  description:
    'Components with traits, delivered to the clusters its topology selects; every change is recorded as an ApplicationRevision.',
  spec: ApplicationSpec,
  status: ApplicationStatus,
  printerColumns: [
    { name: 'Revision', jsonPath: '.status.revision' },
    { name: 'Health', jsonPath: '.status.health' },
    { name: 'Ready', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
  ],
};

export const applicationRevisionKind: KindDefinition = {
  kind: 'ApplicationRevision',
  plural: 'applicationrevisions',
  shortNames: ['apprev'],
  scope: 'Team',
  description:
    'An immutable snapshot of an application and the exact definitions it used; written by Gantry.',
  spec: ApplicationRevisionSpec,
  printerColumns: [
    { name: 'Application', jsonPath: '.spec.application' },
    { name: 'Revision', jsonPath: '.spec.revision' },
    { name: 'Cause', jsonPath: '.spec.cause' },
  ],
};

export const environmentKind: KindDefinition = {
  kind: 'Environment',
  plural: 'environments',
  shortNames: ['env'],
  scope: 'Team',
  description: 'A stage (dev, staging, prod) mapped to clusters by name or label selector.',
  spec: EnvironmentSpec,
  printerColumns: [{ name: 'Namespace', jsonPath: '.spec.namespace' }],
};

export const deliveryKinds: readonly KindDefinition[] = [
  componentDefinitionKind,
  traitDefinitionKind,
  applicationKind,
  applicationRevisionKind,
  environmentKind,
];
