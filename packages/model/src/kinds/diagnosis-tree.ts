import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { NAME_PATTERN, StringEnum } from '../resource.ts';
import { ALERT_DURATION_PATTERN } from './alert-rule.ts';

/** What a diagnosis is about: the entity the trigger names (a rack or zone is a `Domain`). */
export const DIAGNOSIS_SUBJECTS = ['Node', 'Host', 'Workload', 'Application', 'Domain'] as const;
export type DiagnosisSubject = (typeof DIAGNOSIS_SUBJECTS)[number];

/** What a conclusion may say to do besides a policy's named action. */
export const DIAGNOSIS_RESERVED_ACTIONS = ['none', 'escalate'] as const;

const Name = (description: string) => Type.String({ pattern: NAME_PATTERN, maxLength: 63, description });
const Cel = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description });
const Duration = (description: string, defaultValue?: string) =>
  Type.String({
    pattern: ALERT_DURATION_PATTERN,
    maxLength: 32,
    description,
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
  });
const Template = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 10_000,
    description: `${description} \`\${entity.name}\`, \`\${entity.cluster}\`, \`\${entity.node}\`, \`\${entity.host}\`, \`\${entity.namespace}\`, \`\${entity.domain}\` and \`\${trigger.id}\` are replaced by the trigger's values.`,
  });

export const DiagnosisEvidence = Type.Object(
  {
    name: Name('Unique within the tree; CEL reads it as `evidence.<name>` (dashes become underscores).'),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    promql: Type.Optional(
      Type.Object(
        {
          source: Name('A MetricsSource of the team.'),
          query: Template('A PromQL instant query at the trigger time.'),
        },
        {
          additionalProperties: false,
          description: '`{count, value (first sample, absent when empty), samples: [{labels, value}]}`.',
        },
      ),
    ),
    inventory: Type.Optional(
      Type.Object(
        {
          object: StringEnum(['node', 'podsOnNode', 'workload'] as const, {
            description:
              '`node`: `{found, ready, unschedulable, conditions: {Type: Status}, labels}`; `podsOnNode`: `{count, crashLooping, items}`; `workload`: `{found, ready, desired, available}`.',
          }),
        },
        { additionalProperties: false, description: "The entity's objects in the fleet inventory." },
      ),
    ),
    events: Type.Optional(
      Type.Object(
        {
          window: Duration('How far before the trigger to look.', '30m'),
          reason: Type.Optional(Type.String({ maxLength: 128, description: 'Only events of this reason.' })),
        },
        {
          additionalProperties: false,
          description:
            'Recent Kubernetes and Gantry events on the entity: `{count, warnings, reasons: [..], items: [{type, reason, message, count}]}`.',
        },
      ),
    ),
    changes: Type.Optional(
      Type.Object(
        {
          window: Duration('How far before the trigger a change is a suspect.', '30m'),
        },
        {
          additionalProperties: false,
          description:
            'Changes Gantry made to the entity in the window before the trigger (change engine steps, revisions applied): `{count, latestAgeSeconds (absent when none), items: [{reason, message, at}]}`.',
        },
      ),
    ),
    heartbeat: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: false,
          description:
            "The host agent's heartbeat of the entity's host: `{found, online, status, ageSeconds (absent when it never beat)}`.",
        },
      ),
    ),
    job: Type.Optional(
      Type.Object(
        {
          template: Name('A read-only JobTemplate of the team run on the host.'),
          parameters: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
            default: {},
          }),
          timeout: Duration('How long to wait for its end.', '2m'),
        },
        {
          additionalProperties: false,
          description:
            'A diagnostic job run on the host: `{state, exitCode, output}` (output: the last 4 KiB).',
        },
      ),
    ),
    alerts: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: false,
          description:
            "The alerts of the trigger (an exception's members, or the alert itself): `{count, firing, names: [..], items: [{labels, state}]}`.",
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'Exactly one source per evidence step.' },
);
export type DiagnosisEvidence = Static<typeof DiagnosisEvidence>;

export const DiagnosisConclusion = Type.Object(
  {
    rootCause: Type.String({
      pattern: '^[A-Z][A-Za-z0-9]*$',
      maxLength: 63,
      description: 'The root-cause class, UpperCamelCase (`KubeletDown`).',
    }),
    summary: Type.Optional(Type.String({ maxLength: 2000 })),
    supporting: Type.Array(Name('An evidence step.'), {
      default: [],
      maxItems: 50,
      description: 'The evidence that supports the conclusion (its values are kept with the diagnosis).',
    }),
    action: Type.String({
      pattern: NAME_PATTERN,
      maxLength: 63,
      description:
        'An action the HealingPolicy defines, or `none` (record only) or `escalate` (do nothing, page a person).',
    }),
  },
  { additionalProperties: false },
);
export type DiagnosisConclusion = Static<typeof DiagnosisConclusion>;

/** Where a branch leads: another step, or a conclusion. */
export const DiagnosisOutcome = Type.Object(
  {
    next: Type.Optional(Name('The step to go on to.')),
    conclude: Type.Optional(DiagnosisConclusion),
  },
  { additionalProperties: false, description: 'Exactly one of next and conclude.' },
);
export type DiagnosisOutcome = Static<typeof DiagnosisOutcome>;

export const DiagnosisBranch = Type.Object(
  {
    when: Cel('CEL over `evidence`, `entity` and `trigger`; the first true branch is taken.'),
    next: DiagnosisOutcome.properties.next,
    conclude: DiagnosisOutcome.properties.conclude,
  },
  { additionalProperties: false },
);
export type DiagnosisBranch = Static<typeof DiagnosisBranch>;

export const DiagnosisStep = Type.Object(
  {
    name: Name('Unique within the tree.'),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    branches: Type.Array(DiagnosisBranch, { maxItems: 50, default: [] }),
    otherwise: DiagnosisOutcome,
  },
  { additionalProperties: false },
);
export type DiagnosisStep = Static<typeof DiagnosisStep>;

export const DiagnosisTreeSpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    subject: StringEnum(DIAGNOSIS_SUBJECTS, { description: 'The kind of entity the tree diagnoses.' }),
    evidence: Type.Array(DiagnosisEvidence, { maxItems: 100, default: [] }),
    root: Name('The first step.'),
    steps: Type.Array(DiagnosisStep, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type DiagnosisTreeSpec = Static<typeof DiagnosisTreeSpec>;

export const diagnosisTreeKind: KindDefinition = {
  kind: 'DiagnosisTree',
  plural: 'diagnosistrees',
  shortNames: ['dtree'],
  scope: 'Team',
  description:
    'Evidence steps and CEL branches that find the root cause of a failure; leaves are conclusions with an action.',
  spec: DiagnosisTreeSpec,
  printerColumns: [
    { name: 'Subject', jsonPath: '.spec.subject' },
    { name: 'Root', jsonPath: '.spec.root' },
  ],
};
