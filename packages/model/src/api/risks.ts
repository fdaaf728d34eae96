import { Type, type Static } from '@sinclair/typebox';
import { NAME_PATTERN, StringEnum } from '../resource.ts';
import { InspectionSpec } from '../kinds/inspection.ts';

/**
 * Risks and inspection runs as records (docs/reference/risks.md, ADR 0020): what an `Inspection` or a
 * `Baseline` saw that may turn into an exception, with a score, the objects concerned, and when it was
 * first and last seen. A risk is level-triggered: it stays `open` while its source keeps seeing it and
 * becomes `gone` when a successful observation no longer does.
 */

const Timestamp = Type.String({ format: 'date-time' });

export const RISK_ENTITY_KINDS = [
  'Application',
  'Component',
  'Cluster',
  'Node',
  'Namespace',
  'Workload',
  'Host',
  'Team',
] as const;

/** An object a risk concerns (the health package's `EntityRef`). */
export const RiskEntity = Type.Object(
  {
    kind: StringEnum(RISK_ENTITY_KINDS),
    name: Type.String({ maxLength: 253 }),
    cluster: Type.Optional(Type.String({ maxLength: 63 })),
    namespace: Type.Optional(Type.String({ maxLength: 253 })),
    application: Type.Optional(Type.String({ maxLength: 63, description: 'For a Component.' })),
  },
  { additionalProperties: false },
);
export type RiskEntity = Static<typeof RiskEntity>;

export const RISK_SOURCE_KINDS = ['Inspection', 'Baseline'] as const;
export const RISK_STATES = ['open', 'gone'] as const;
export type RiskState = (typeof RISK_STATES)[number];

export const RiskSourceRef = Type.Object(
  {
    kind: StringEnum(RISK_SOURCE_KINDS),
    name: Type.String({ description: 'The Inspection or Baseline.' }),
    check: Type.String({ description: 'The check within the inspection, or the series of the baseline.' }),
    runId: Type.Optional(Type.String({ description: 'The inspection run that last saw it.' })),
  },
  { additionalProperties: false },
);
export type RiskSourceRef = Static<typeof RiskSourceRef>;

export const Risk = Type.Object(
  {
    id: Type.String(),
    team: Type.String(),
    source: RiskSourceRef,
    key: Type.String({ description: 'Stable within the source and check: the object or series concerned.' }),
    title: Type.String(),
    score: Type.Integer({ minimum: 0, maximum: 100, description: '0 negligible to 100 acting now is due.' }),
    entities: Type.Array(RiskEntity),
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'What the source saw.' }),
    state: StringEnum(RISK_STATES),
    firstSeenAt: Timestamp,
    lastSeenAt: Timestamp,
    goneAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type Risk = Static<typeof Risk>;

export const RiskList = Type.Object(
  { items: Type.Array(Risk), continue: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type RiskList = Static<typeof RiskList>;

/** The query of `GET /api/teams/{team}/risks`. */
export const RiskQuery = Type.Object(
  {
    state: Type.Optional(StringEnum([...RISK_STATES, 'all'] as const, { description: 'Default open.' })),
    source: Type.Optional(
      Type.String({
        maxLength: 200,
        pattern: '^(Inspection|Baseline)(/[a-z0-9]([-a-z0-9]*[a-z0-9])?(/[^/]+)?)?$',
        description: '`Inspection`, `Inspection/<name>` or `Inspection/<name>/<check>` (or Baseline).',
      }),
    ),
    entity: Type.Optional(
      Type.String({
        maxLength: 400,
        pattern: '^[A-Za-z]+/.+$',
        description: '`<Kind>/<name>`, e.g. `Node/worker-1` or `Cluster/prod`.',
      }),
    ),
    minScore: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '0 to 100.' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '1 to 1000; default 200.' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type RiskQuery = Static<typeof RiskQuery>;

export const INSPECTION_RUN_TRIGGERS = ['schedule', 'manual'] as const;
export const INSPECTION_RUN_STATES = ['running', 'succeeded', 'failed'] as const;
export type InspectionRunState = (typeof INSPECTION_RUN_STATES)[number];

/**
 * A check's outcome in a run: `ok` (it ran and found nothing), `risks` (it found some), `noData` (the
 * query answered with nothing to judge: no risk is recorded, and none is closed), `failed` (the query or
 * condition failed, or the Prometheus is down: likewise nothing recorded, nothing closed).
 */
export const INSPECTION_CHECK_OUTCOMES = ['ok', 'risks', 'noData', 'failed'] as const;
export type InspectionCheckOutcome = (typeof INSPECTION_CHECK_OUTCOMES)[number];

/** One risk as a run saw it: kept with the run, so that two runs can be compared. */
export const InspectionFinding = Type.Object(
  {
    key: Type.String(),
    title: Type.String(),
    score: Type.Integer({ minimum: 0, maximum: 100 }),
    entities: Type.Array(RiskEntity),
    details: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type InspectionFinding = Static<typeof InspectionFinding>;

export const InspectionCheckResult = Type.Object(
  {
    check: Type.String(),
    type: StringEnum(['promql', 'inventory', 'cel'] as const),
    outcome: StringEnum(INSPECTION_CHECK_OUTCOMES),
    reason: Type.String({ description: 'A reason constant: `Ok`, `RisksFound`, `NoData`, `QueryFailed`...' }),
    message: Type.String(),
    findings: Type.Array(InspectionFinding),
    /** Findings beyond the check's `maxRisks`, not recorded. */
    dropped: Type.Integer({ minimum: 0 }),
    durationMs: Type.Number(),
  },
  { additionalProperties: false },
);
export type InspectionCheckResult = Static<typeof InspectionCheckResult>;

export const InspectionRun = Type.Object(
  {
    id: Type.String(),
    team: Type.String(),
    inspection: Type.String(),
    trigger: StringEnum(INSPECTION_RUN_TRIGGERS),
    /** The cron time a scheduled run is for (a manual run has none). */
    slot: Type.Optional(Timestamp),
    state: StringEnum(INSPECTION_RUN_STATES),
    startedAt: Timestamp,
    finishedAt: Type.Optional(Timestamp),
    createdBy: Type.String(),
    counts: Type.Object(
      {
        checks: Type.Integer({ minimum: 0 }),
        ok: Type.Integer({ minimum: 0 }),
        risks: Type.Integer({ minimum: 0, description: 'Checks that found risks.' }),
        noData: Type.Integer({ minimum: 0 }),
        failed: Type.Integer({ minimum: 0 }),
        findings: Type.Integer({ minimum: 0, description: 'Risks found, all checks together.' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type InspectionRun = Static<typeof InspectionRun>;

export const InspectionRunWithResults = Type.Object(
  { ...InspectionRun.properties, results: Type.Array(InspectionCheckResult) },
  { additionalProperties: false },
);
export type InspectionRunWithResults = Static<typeof InspectionRunWithResults>;

export const InspectionRunPage = Type.Object(
  { items: Type.Array(InspectionRun), continue: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type InspectionRunPage = Static<typeof InspectionRunPage>;

export const InspectionRunQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '1 to 1000; default 50.' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type InspectionRunQuery = Static<typeof InspectionRunQuery>;

export const InspectionRunDiffQuery = Type.Object(
  {
    against: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'The run to compare with; default the run of the same inspection just before.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type InspectionRunDiffQuery = Static<typeof InspectionRunDiffQuery>;

const DiffEntry = Type.Object(
  { check: Type.String(), ...InspectionFinding.properties },
  { additionalProperties: false },
);
export type InspectionDiffEntry = Static<typeof DiffEntry>;

/**
 * What changed from run `against` (older) to run `run`: risks only the newer saw, risks only the older
 * saw, risks both saw with a different score. Checks that did not succeed in both runs are `unknown`:
 * their risks are neither new nor gone.
 */
export const InspectionRunDiff = Type.Object(
  {
    run: Type.String(),
    against: Type.Optional(Type.String({ description: 'Absent when there is no earlier run.' })),
    new: Type.Array(DiffEntry),
    gone: Type.Array(DiffEntry),
    changed: Type.Array(
      Type.Object(
        { ...DiffEntry.properties, previousScore: Type.Integer({ minimum: 0, maximum: 100 }) },
        { additionalProperties: false },
      ),
    ),
    unchanged: Type.Integer({ minimum: 0 }),
    unknown: Type.Array(Type.String({ description: 'Checks that did not succeed in one of the runs.' })),
  },
  { additionalProperties: false },
);
export type InspectionRunDiff = Static<typeof InspectionRunDiff>;

export const InspectionNameParams = Type.Object({
  team: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }),
  name: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }),
});

/** `GET /api/inspection-templates`: the built-in inspections, as manifests to apply. */
export const InspectionTemplateList = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          description: Type.String(),
          requires: Type.Array(Type.String()),
          manifest: Type.Object(
            {
              apiVersion: Type.String(),
              kind: Type.Literal('Inspection'),
              metadata: Type.Object({ name: Type.String() }, { additionalProperties: false }),
              spec: InspectionSpec,
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type InspectionTemplateList = Static<typeof InspectionTemplateList>;
