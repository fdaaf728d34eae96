import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { NAME_PATTERN } from '../resource.ts';

/** A duration as the alert rules write them: `10m`, `2h30m`, `1d`. */
export const HEALTH_DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d|w))+$';

const Duration = (description: string, defaultValue: string) =>
  Type.String({ pattern: HEALTH_DURATION_PATTERN, maxLength: 32, default: defaultValue, description });

/** The failure levels, least severe first: an exception is raised through them as it lasts. */
export const FAILURE_LEVELS = ['P4', 'P3', 'P2', 'P1', 'P0'] as const;

/** How long an exception lasts before it becomes a failure of each level (ADR 0018). */
export const DEFAULT_FAILURE_THRESHOLDS = {
  P4: '10m',
  P3: '30m',
  P2: '60m',
  P1: '150m',
  P0: '360m',
} as const;
export const DEFAULT_REOPEN_WINDOW = '30m';

export const FailureThresholds = Type.Object(
  {
    P4: Duration('Unresolved this long: a failure at P4.', DEFAULT_FAILURE_THRESHOLDS.P4),
    P3: Duration('Unresolved this long: raised to P3.', DEFAULT_FAILURE_THRESHOLDS.P3),
    P2: Duration('Unresolved this long: raised to P2.', DEFAULT_FAILURE_THRESHOLDS.P2),
    P1: Duration('Unresolved this long: raised to P1.', DEFAULT_FAILURE_THRESHOLDS.P1),
    P0: Duration('Unresolved this long: raised to P0.', DEFAULT_FAILURE_THRESHOLDS.P0),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'Each level’s threshold must be longer than the one before it (P4 < P3 < P2 < P1 < P0).',
  },
);
export type FailureThresholds = Static<typeof FailureThresholds>;

/**
 * The spec of the `HealthPolicy` kind: when a team's (or one application's) exceptions become failures,
 * how long a resolved exception may come back as itself, and which EscalationPolicy pages for it. Named
 * apart from the component `HealthPolicySpec` of the delivery kinds, which is about workload health.
 */
export const ExceptionHealthPolicySpec = Type.Object(
  {
    selector: Type.Object(
      {
        application: Type.Optional(
          Type.String({
            pattern: NAME_PATTERN,
            maxLength: 63,
            description: 'The Application whose exceptions this policy governs; absent: the whole team.',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    failureThresholds: FailureThresholds,
    reopenWindow: Duration(
      'A resolved exception whose alerts fire again within this time is reopened, not opened anew.',
      DEFAULT_REOPEN_WINDOW,
    ),
    escalationPolicy: Type.Optional(
      Type.String({
        pattern: NAME_PATTERN,
        maxLength: 63,
        description: 'The EscalationPolicy of the team that pages for these exceptions.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ExceptionHealthPolicySpec = Static<typeof ExceptionHealthPolicySpec>;

export const healthPolicyKind: KindDefinition = {
  kind: 'HealthPolicy',
  plural: 'healthpolicies',
  shortNames: ['hp'],
  scope: 'Team',
  description:
    'When exceptions of a team or an application become failures (P4…P0 by duration), their reopen window and escalation policy.',
  spec: ExceptionHealthPolicySpec,
  printerColumns: [
    { name: 'Application', jsonPath: '.spec.selector.application' },
    { name: 'P4', jsonPath: '.spec.failureThresholds.P4' },
    { name: 'P0', jsonPath: '.spec.failureThresholds.P0' },
    { name: 'Reopen', jsonPath: '.spec.reopenWindow' },
    { name: 'Escalation', jsonPath: '.spec.escalationPolicy' },
  ],
};
