import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, NAME_PATTERN, StringEnum } from '../resource.ts';
import { ALERT_DURATION_PATTERN } from './alert-rule.ts';
import { NODE_OPERATIONS } from './change.ts';
import { DIAGNOSIS_SUBJECTS } from './diagnosis-tree.ts';
import { ChangeKubernetesJob, LABEL_KEY_PATTERN } from './kubernetes-job.ts';
import { ChangeWorkloadOperation } from './workload-operation.ts';

const Name = (description: string) => Type.String({ pattern: NAME_PATTERN, maxLength: 63, description });
const Cel = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description });
const Duration = (description: string, defaultValue?: string) =>
  Type.String({
    pattern: ALERT_DURATION_PATTERN,
    maxLength: 32,
    description,
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
  });

export const HEALING_MODES = ['Shadow', 'Act'] as const;
export type HealingMode = (typeof HEALING_MODES)[number];

/** What a lasting inventory condition is evaluated over, one object at a time. */
export const HEALING_CONDITION_SUBJECTS = ['nodes', 'hosts'] as const;

export const HealingTrigger = Type.Object(
  {
    exceptions: Type.Optional(
      Type.Object(
        { match: Cel('CEL over `exception` (`{title, severity, state, entities, correlationKey}`).') },
        { additionalProperties: false },
      ),
    ),
    alerts: Type.Optional(
      Type.Object(
        { match: Cel('CEL over `alert` (`{labels, annotations, state}`).') },
        { additionalProperties: false },
      ),
    ),
    risks: Type.Optional(
      Type.Object(
        { match: Cel('CEL over `risk` (`{title, score, source, check, entities}`).') },
        { additionalProperties: false },
      ),
    ),
    condition: Type.Optional(
      Type.Object(
        {
          over: StringEnum(HEALING_CONDITION_SUBJECTS, {
            description: 'Objects of the inventory, bound to `node` or `host`.',
          }),
          condition: Cel('CEL; true while the object is unhealthy (`node.ready == false`).'),
          for: Duration('How long the condition must last before it triggers.', '5m'),
        },
        { additionalProperties: false, description: 'An inventory condition that lasts.' },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Exactly one of exceptions, alerts, risks and condition. Never on a resolved alert or a closed exception.',
  },
);
export type HealingTrigger = Static<typeof HealingTrigger>;

/** One action the policy may take; exactly one of its kinds. Every one that changes the fleet is a Change. */
export const HealingAction = Type.Object(
  {
    name: Name('What trees and rungs call it (`restart-kubelet`).'),
    risky: Type.Boolean({
      default: false,
      description: 'Needs a person’s approval before it runs (see guardrails.approval).',
    }),
    timeout: Duration('How long the action may take before it counts as failed.', '15m'),
    nodeOperation: Type.Optional(
      Type.Object(
        {
          operation: Type.Union(
            NODE_OPERATIONS.map((op) => Type.Literal(op)),
            { description: 'Cordon, drain or uncordon the node: a Change with `nodeOperation`.' },
          ),
          drainTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
          force: Type.Boolean({ default: false }),
        },
        { additionalProperties: false },
      ),
    ),
    workloadOperation: Type.Optional(
      Type.Object(ChangeWorkloadOperation.properties, {
        additionalProperties: false,
        description:
          'Restart the workload’s rollout or scale it: a Change with `workloadOperation` (policies whose subject is Workload).',
      }),
    ),
    pauseChanges: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: false,
          description:
            'Pause every running Change of the team that touches the entity (its batches name it), with the diagnosis as the reason: a suspect change stops where it is.',
        },
      ),
    ),
    applicationRollback: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: false,
          description:
            'Roll the application back, on the entity’s cluster (all its clusters for an Application), to the revision that cluster ran before the current one: a Change with `applicationRevision` (policies whose subject is Workload or Application).',
        },
      ),
    ),
    jobRun: Type.Optional(
      Type.Object(
        {
          template: Name('A JobTemplate of the team, run on the entity’s host: a Change with `jobRun`.'),
          parameters: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
            default: {},
          }),
        },
        { additionalProperties: false },
      ),
    ),
    kubernetesJob: Type.Optional(
      Type.Object(
        {
          ...ChangeKubernetesJob.properties,
          labels: Type.Record(
            Type.String({ pattern: LABEL_KEY_PATTERN, maxLength: 317 }),
            Type.String({ maxLength: 256 }),
            { default: {}, description: "Labels on the Job's pod; values may use placeholders." },
          ),
        },
        {
          additionalProperties: false,
          description:
            'A Kubernetes Job on the entity’s cluster: a Change with `kubernetesJob`. `command`, `args`, `env` values, `nodeName` and label values may use `${entity.name}`, `${entity.cluster}`, `${entity.node}`, `${entity.host}`, `${entity.namespace}`, `${entity.domain}`, `${trigger.id}` and `${diagnosis.rootCause}`, replaced by plain text (one pass, nothing evaluated).',
        },
      ),
    ),
    notify: Type.Optional(
      Type.Object(
        {
          channels: Type.Array(Name('A NotificationChannel of the team.'), { minItems: 1, maxItems: 20 }),
          page: Type.Boolean({ default: false, description: 'A page for a person: ends the ladder.' }),
        },
        { additionalProperties: false, description: 'A message with the evidence bundle to channels.' },
      ),
    ),
    silence: Type.Optional(
      Type.Object(
        {
          duration: Duration('How long the silence lasts.', '1h'),
          comment: Type.Optional(Type.String({ maxLength: 1000 })),
        },
        { additionalProperties: false, description: "A Silence of the entity's alerts." },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Exactly one of nodeOperation, workloadOperation, applicationRollback, pauseChanges, jobRun, kubernetesJob, notify and silence.',
  },
);
export type HealingAction = Static<typeof HealingAction>;

export const HealingGuardrails = Type.Object(
  {
    maxInFlight: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 1,
      description: 'Remediations of this policy acting or verifying at once.',
    }),
    maxInFlightPerDomain: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 1,
      description: 'Remediations of this policy acting or verifying at once within one failure domain.',
    }),
    domainLabel: Type.String({
      minLength: 1,
      maxLength: 317,
      default: 'topology.gantry.dev/rack',
      description: "The entity's label naming its failure domain.",
    }),
    minHealthyShare: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.8,
      description:
        'Below this share of healthy entities in the domain, healing freezes and escalates instead of acting.',
    }),
    rateLimit: Type.Object(
      {
        actions: Type.Integer({ minimum: 1, maximum: 1000, default: 3 }),
        window: Duration('', '1h'),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'Most actions started on one entity within the window (persisted).',
      },
    ),
    retryBudget: Type.Object(
      {
        failures: Type.Integer({ minimum: 1, maximum: 1000, default: 3 }),
        window: Duration('', '24h'),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'Most failed actions on one entity within the window before it is handed to a person.',
      },
    ),
    flapping: Type.Object(
      {
        healed: Type.Integer({ minimum: 1, maximum: 1000, default: 3 }),
        window: Duration('', '24h'),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'Healed this often within the window, the entity is flapping: escalate, do not act.',
      },
    ),
    approval: Type.Object(
      { expiry: Duration('How long an approval request stays open.', '1h') },
      { additionalProperties: false, default: {}, description: 'For actions marked `risky`.' },
    ),
    mode: StringEnum(HEALING_MODES, {
      default: 'Shadow',
      description: '`Shadow` records what it would have done and acts on nothing; `Act` acts.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type HealingGuardrails = Static<typeof HealingGuardrails>;

export const HealingVerification = Type.Object(
  {
    bake: Duration('How long to wait after the action before judging it.', '5m'),
    condition: Type.Optional(
      Cel(
        'CEL over `entity` (read again) and `trigger` (`{active}`); true means healed. Default: `!trigger.active`.',
      ),
    ),
    promql: Type.Optional(
      Type.Object(
        {
          source: Name('A MetricsSource of the team.'),
          query: Type.String({ minLength: 1, maxLength: 10_000 }),
          condition: Cel('CEL over `value` (the first sample; absent when empty) and `count`.'),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, default: {}, description: 'At most one of condition and promql.' },
);
export type HealingVerification = Static<typeof HealingVerification>;

export const HealingRung = Type.Object(
  {
    action: Name('An action of the policy.'),
    timeout: Duration('How long the rung may take, action and verification, before the next.', '30m'),
  },
  { additionalProperties: false },
);
export type HealingRung = Static<typeof HealingRung>;

export const HealingPolicySpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    suspend: Type.Boolean({ default: false }),
    trigger: HealingTrigger,
    scope: Type.Object(
      {
        subject: StringEnum(DIAGNOSIS_SUBJECTS, { description: 'The kind of entity the policy heals.' }),
        selector: Type.Optional(
          Type.String({ maxLength: 4096, description: "A label selector over the entity's labels." }),
        ),
      },
      { additionalProperties: false, description: 'The team is the policy’s own.' },
    ),
    diagnosis: Type.Object(
      {
        tree: Type.String({
          pattern: '^(builtin/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
          maxLength: 72,
          description: 'A DiagnosisTree of the team, or a built-in one (`builtin/node-not-ready`).',
        }),
      },
      { additionalProperties: false },
    ),
    actions: Type.Array(HealingAction, { maxItems: 50, description: 'The actions it may take.' }),
    guardrails: HealingGuardrails,
    verification: HealingVerification,
    escalation: Type.Object(
      {
        rungs: Type.Array(HealingRung, {
          minItems: 1,
          maxItems: 20,
          description:
            'Climbed when an action fails or does not verify; the last must be a `notify` action with `page: true`.',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type HealingPolicySpec = Static<typeof HealingPolicySpec>;

export const HealingPolicyStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);

export const healingPolicyKind: KindDefinition = {
  kind: 'HealingPolicy',
  plural: 'healingpolicies',
  shortNames: ['heal'],
  scope: 'Team',
  description:
    'What triggers self-healing, the diagnosis tree, the actions allowed, guardrails, verification and an escalation ladder.',
  spec: HealingPolicySpec,
  status: HealingPolicyStatus,
  printerColumns: [
    { name: 'Mode', jsonPath: '.spec.guardrails.mode' },
    { name: 'Tree', jsonPath: '.spec.diagnosis.tree' },
  ],
};
