import { Type, type Static } from '@sinclair/typebox';
import { NAME_PATTERN, StringEnum } from '../resource.ts';
import { DIAGNOSIS_SUBJECTS, DiagnosisConclusion, DiagnosisTreeSpec } from '../kinds/diagnosis-tree.ts';
import { HealingAction, HealingPolicySpec } from '../kinds/healing-policy.ts';

/**
 * Healing runs as records and what people do with them (ADR 0032, 0037): list and read runs with their
 * diagnosis path and evidence values, approve or reject a run waiting for approval, the shadow-mode
 * scorecard per policy, statistics over a window, and the dry run of a policy against a trigger.
 */

const Timestamp = Type.String({ format: 'date-time' });
const Name = (description: string) => Type.String({ pattern: NAME_PATTERN, maxLength: 63, description });

/** Where a run stands (the healing package's `HealingPhase`); the last six end it. */
export const HEALING_PHASES = [
  'Matched',
  'Diagnosing',
  'Deciding',
  'AwaitingApproval',
  'Ready',
  'Acting',
  'Verifying',
  'Healed',
  'Escalated',
  'Shadowed',
  'NoAction',
  'TriggerResolved',
  'Rejected',
] as const;
export type HealingRunPhase = (typeof HEALING_PHASES)[number];

export const HEALING_TRIGGER_KINDS = ['exception', 'alert', 'risk', 'condition'] as const;

export const HealingEntityView = Type.Object(
  {
    kind: StringEnum(DIAGNOSIS_SUBJECTS),
    name: Type.String(),
    cluster: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    workloadKind: Type.Optional(Type.String()),
    node: Type.Optional(Type.String()),
    host: Type.Optional(Type.String()),
    domain: Type.String({ description: "The failure domain's value ('' when none)." }),
    labels: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: false },
);
export type HealingEntityView = Static<typeof HealingEntityView>;

/** One run in a listing: its columns, the root cause found and the approval it waits for, if any. */
export const HealingRunSummary = Type.Object(
  {
    id: Type.String(),
    team: Type.String(),
    policy: Type.String(),
    triggerKind: StringEnum(HEALING_TRIGGER_KINDS),
    triggerId: Type.String({ description: "The exception's id, the alert's fingerprint, the risk's id." }),
    entity: Type.String({ description: '`Node/east/n1`, `Host/h1`, `Workload/east/ns/name`.' }),
    domain: Type.String(),
    mode: StringEnum(['Shadow', 'Act'] as const),
    phase: StringEnum(HEALING_PHASES),
    inFlight: Type.Boolean(),
    rung: Type.Integer({ minimum: -1, description: 'Ladder position (-1: before the ladder).' }),
    reason: Type.String(),
    message: Type.String(),
    outcome: Type.Optional(Type.String()),
    rootCause: Type.Optional(Type.String()),
    chosen: Type.Optional(Type.String({ description: 'The action the diagnosis chose.' })),
    awaitingApproval: Type.Optional(
      Type.Object(
        { action: Type.String(), requestedAt: Timestamp, expiresAt: Timestamp },
        { additionalProperties: false },
      ),
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    nextAt: Timestamp,
    endedAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type HealingRunSummary = Static<typeof HealingRunSummary>;

export const HealingRunList = Type.Object(
  { items: Type.Array(HealingRunSummary), continue: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type HealingRunList = Static<typeof HealingRunList>;

/** The query of `GET /api/teams/{team}/healing/runs`. */
export const HealingRunsQuery = Type.Object(
  {
    policy: Type.Optional(Name('Only this HealingPolicy’s runs.')),
    state: Type.Optional(
      StringEnum(['active', 'ended', 'all'] as const, { description: 'Live runs, ended ones; default all.' }),
    ),
    phase: Type.Optional(StringEnum(HEALING_PHASES)),
    entity: Type.Optional(
      Type.String({ maxLength: 400, pattern: '^[A-Z][A-Za-z]+/.+$', description: '`Node/east/n1`.' }),
    ),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Created at or after (RFC 3339).' }),
    ),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Created before (RFC 3339).' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '1 to 500; default 100.' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type HealingRunsQuery = Static<typeof HealingRunsQuery>;

export const HealingEvidenceValue = Type.Object(
  {
    name: Type.String(),
    type: Type.String({ description: 'promql, inventory, events, changes, heartbeat, job or alerts.' }),
    query: Type.Optional(Type.String({ description: 'As resolved for the entity (placeholders filled).' })),
    ok: Type.Boolean(),
    value: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    durationMs: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const HealingPathEntry = Type.Object(
  {
    step: Type.String(),
    branch: Type.Union([Type.Integer({ minimum: 0 }), Type.Literal('otherwise')]),
    tried: Type.Array(
      Type.Object(
        {
          index: Type.Integer({ minimum: 0 }),
          when: Type.String(),
          result: Type.Union([Type.Boolean(), Type.String()], { description: 'A bool, or the error.' }),
        },
        { additionalProperties: false },
      ),
    ),
    next: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** A diagnosis as kept: the path taken through the tree and every evidence value it saw. */
export const HealingDiagnosis = Type.Object(
  {
    tree: Type.String(),
    reason: StringEnum(['Concluded', 'EvidenceFailed', 'BranchFailed', 'TooManySteps'] as const),
    message: Type.String(),
    path: Type.Array(HealingPathEntry),
    evidence: Type.Array(HealingEvidenceValue),
    conclusion: Type.Optional(DiagnosisConclusion),
    supporting: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    failed: Type.Optional(
      Type.Object(
        {
          evidence: Type.Optional(Type.String()),
          step: Type.Optional(Type.String()),
          branch: Type.Optional(Type.Integer()),
          reason: Type.String(),
          message: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
    startedAt: Timestamp,
    finishedAt: Timestamp,
    engineMs: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type HealingDiagnosis = Static<typeof HealingDiagnosis>;

const HealingDecisionView = Type.Object(
  { at: Timestamp, stage: Type.String(), reason: Type.String(), message: Type.String() },
  { additionalProperties: false },
);

const HealingActionView = Type.Object(
  {
    key: Type.String({ description: 'healing/<run>/rung/<n>/attempt/<a>: the Change or outbox key.' }),
    rung: Type.Integer(),
    action: Type.String(),
    startedAt: Timestamp,
    deadline: Timestamp,
    state: StringEnum(['starting', 'running', 'succeeded', 'failed'] as const),
    handle: Type.Optional(Type.String({ description: 'The Change (or silence, notification) started.' })),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    endedAt: Type.Optional(Timestamp),
    verifyAt: Type.Optional(Timestamp),
    budgetHeld: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const HealingVerificationView = Type.Object(
  {
    at: Timestamp,
    rung: Type.Integer(),
    healed: Type.Boolean(),
    reason: Type.String(),
    message: Type.String(),
    values: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);

const HealingApprovalView = Type.Object(
  {
    action: Type.String(),
    rung: Type.Integer(),
    requestedAt: Timestamp,
    expiresAt: Timestamp,
    decision: Type.Optional(StringEnum(['approved', 'rejected'] as const)),
    decidedBy: Type.Optional(Type.String()),
    decidedAt: Type.Optional(Timestamp),
    reason: Type.Optional(Type.String({ description: 'Why, as the person gave it.' })),
  },
  { additionalProperties: false },
);

/** One run with everything needed to answer "why did it do that?". */
export const HealingRun = Type.Composite(
  [
    HealingRunSummary,
    Type.Object({
      trigger: Type.Object(
        {
          kind: Type.String(),
          id: Type.String(),
          since: Timestamp,
          entity: HealingEntityView,
          bindingSummary: Type.Record(Type.String(), Type.Unknown()),
        },
        { additionalProperties: false },
      ),
      diagnosis: Type.Optional(HealingDiagnosis),
      decisions: Type.Array(HealingDecisionView),
      actions: Type.Array(HealingActionView),
      verifications: Type.Array(HealingVerificationView),
      approvals: Type.Array(HealingApprovalView),
    }),
  ],
  { additionalProperties: false },
);
export type HealingRun = Static<typeof HealingRun>;

export const HealingRunParams = Type.Object(
  {
    team: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }),
    id: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);

/** Body of approve and reject: why (kept on the run and in the audit log with who). */
export const HealingApprovalRequest = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false },
);
export type HealingApprovalRequest = Static<typeof HealingApprovalRequest>;

/** A window over runs' creation times; default the last 7 days. */
export const HealingWindowQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Default: `until` − 7 days.' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now.' })),
    policy: Type.Optional(Name('Only this policy.')),
  },
  { additionalProperties: false },
);
export type HealingWindowQuery = Static<typeof HealingWindowQuery>;

export const HealingScorecard = Type.Object(
  {
    policy: Type.String(),
    mode: Type.Optional(
      StringEnum(['Shadow', 'Act'] as const, { description: 'The policy’s mode now (absent: deleted).' }),
    ),
    runs: Type.Integer({ minimum: 0, description: 'Shadow runs in the window.' }),
    wouldRun: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
      description: 'Would-be actions by name (`escalate` for the runs it would have handed to a person).',
    }),
    resolvedWithoutAction: Type.Integer({ minimum: 0 }),
    stillActive: Type.Integer({ minimum: 0 }),
    diagnosisIncomplete: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type HealingScorecard = Static<typeof HealingScorecard>;

export const HealingScorecardList = Type.Object(
  { since: Timestamp, until: Timestamp, items: Type.Array(HealingScorecard) },
  { additionalProperties: false },
);
export type HealingScorecardList = Static<typeof HealingScorecardList>;

const Count = Type.Integer({ minimum: 0 });

export const HealingRecoveryFigures = Type.Object(
  {
    count: Type.Integer({ minimum: 0, description: 'Resolved episodes.' }),
    meanMs: Type.Optional(Type.Number({ minimum: 0, description: 'The MTTR of the health statistics.' })),
    p50Ms: Type.Optional(Type.Number({ minimum: 0 })),
    p90Ms: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type HealingRecoveryFigures = Static<typeof HealingRecoveryFigures>;

export const HealingStats = Type.Object(
  {
    team: Type.String(),
    since: Timestamp,
    until: Timestamp,
    runs: Count,
    active: Type.Integer({ minimum: 0, description: 'Runs of the window not ended yet.' }),
    byOutcome: Type.Record(Type.String(), Count, { description: 'Ended runs by final phase.' }),
    byRootCause: Type.Array(
      Type.Object({ rootCause: Type.String(), runs: Count, healed: Count }, { additionalProperties: false }),
      { description: 'Runs by the root-cause class the diagnosis concluded (`Unknown`: no conclusion).' },
    ),
    autoHealed: Type.Object(
      {
        healed: Count,
        handedToPeople: Type.Integer({ minimum: 0, description: 'Escalated or rejected.' }),
        share: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 1,
            description: 'healed / (healed + handed to people), over runs that acted (not shadow ones).',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    timeToRecovery: Type.Object(
      {
        count: Count,
        p50Ms: Type.Optional(Type.Number({ minimum: 0 })),
        p90Ms: Type.Optional(Type.Number({ minimum: 0 })),
      },
      {
        additionalProperties: false,
        description: "Of healed runs: from the trigger's start to the run's end.",
      },
    ),
    recovery: Type.Optional(
      Type.Object(
        { withHealing: HealingRecoveryFigures, withoutHealing: HealingRecoveryFigures },
        {
          additionalProperties: false,
          description:
            'MTTR with and without healing: the team’s exception episodes detected in the window and resolved, split by whether a run (of the policy, when filtered) healed the exception; times as the health statistics measure them (resolution − impact start). Absent when the server has no health statistics.',
        },
      ),
    ),
    escalations: Type.Object(
      { total: Count, byReason: Type.Record(Type.String(), Count) },
      { additionalProperties: false },
    ),
    actions: Type.Array(
      Type.Object(
        {
          action: Type.String(),
          started: Count,
          succeeded: Count,
          failed: Count,
          successRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
      { description: 'Actions by name and how they ended.' },
    ),
    truncated: Type.Boolean({ description: 'More runs than the statistics read (the oldest left out).' }),
  },
  { additionalProperties: false },
);
export type HealingStats = Static<typeof HealingStats>;

/** An entity a trigger given inline names; resolved through the inventory like a real one. */
const DryRunEntityRef = Type.Object(
  {
    kind: StringEnum(['Node', 'Host', 'Workload', 'Application'] as const),
    name: Type.String({ minLength: 1, maxLength: 253 }),
    cluster: Type.Optional(Type.String({ maxLength: 63 })),
    namespace: Type.Optional(Type.String({ maxLength: 253 })),
  },
  { additionalProperties: false },
);

export const HealingDryRunTrigger = Type.Object(
  {
    kind: StringEnum(['exception', 'alert', 'risk'] as const),
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'A live exception, alert (fingerprint) or risk: its entities and bindings are read.',
      }),
    ),
    binding: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'Inline: what the policy’s match CEL sees as `exception`, `alert` or `risk` (title, labels...).',
      }),
    ),
    entities: Type.Optional(Type.Array(DryRunEntityRef, { maxItems: 50 })),
    alerts: Type.Optional(
      Type.Array(
        Type.Object(
          {
            labels: Type.Record(Type.String(), Type.String()),
            state: StringEnum(['firing', 'resolved'] as const),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
  },
  { additionalProperties: false, description: 'Either `id` (a live trigger) or `binding` and `entities`.' },
);
export type HealingDryRunTrigger = Static<typeof HealingDryRunTrigger>;

export const HealingDryRunRequest = Type.Object(
  {
    policy: Type.Optional(Name('A stored HealingPolicy of the team; absent (and no `spec`): all of them.')),
    spec: Type.Optional(HealingPolicySpec),
    tree: Type.Optional(
      Type.Object(
        { name: Name('The name the spec’s diagnosis.tree uses.'), spec: DiagnosisTreeSpec },
        { additionalProperties: false, description: 'An unsaved DiagnosisTree for an unsaved policy.' },
      ),
    ),
    trigger: HealingDryRunTrigger,
  },
  { additionalProperties: false },
);
export type HealingDryRunRequest = Static<typeof HealingDryRunRequest>;

export const HEALING_DRY_RUN_VERDICTS = [
  'act',
  'awaitApproval',
  'shadow',
  'none',
  'escalate',
  'incomplete',
] as const;

export const HealingDryRunMatch = Type.Object(
  {
    policy: Type.String(),
    mode: StringEnum(['Shadow', 'Act'] as const),
    entity: HealingEntityView,
    diagnosis: HealingDiagnosis,
    verdict: StringEnum(HEALING_DRY_RUN_VERDICTS, {
      description:
        'act (the action runs), awaitApproval (risky), shadow (recorded only), none, escalate (a person ' +
        'decides), incomplete (the diagnosis stopped on failed evidence: escalate).',
    }),
    action: Type.Optional(HealingAction),
    rung: Type.Optional(Type.Integer({ minimum: -1 })),
    message: Type.String(),
  },
  { additionalProperties: false },
);
export type HealingDryRunMatch = Static<typeof HealingDryRunMatch>;

export const HealingDryRunResult = Type.Object(
  {
    considered: Type.Array(Type.String(), { description: 'The policies tried against the trigger.' }),
    matches: Type.Array(HealingDryRunMatch),
    guardrailsChecked: Type.Literal(false, {
      description: 'A dry run does not look at guardrails (rates, in flight, healthy share).',
    }),
  },
  { additionalProperties: false },
);
export type HealingDryRunResult = Static<typeof HealingDryRunResult>;

/** The built-in DiagnosisTrees a policy names as `builtin/<name>`, for drawing them. */
export const HealingBuiltinTreeList = Type.Object(
  {
    items: Type.Array(
      Type.Object({ name: Type.String(), spec: DiagnosisTreeSpec }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type HealingBuiltinTreeList = Static<typeof HealingBuiltinTreeList>;
