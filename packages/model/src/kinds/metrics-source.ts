import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, NAME_PATTERN } from '../resource.ts';

/** A key of a secret of the source's team; the value is read by the evaluator only, never shown. */
const SecretKeyRef = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: 'A secret of the same team.' }),
    key: Type.String({ minLength: 1, maxLength: 253, description: 'The key within the secret.' }),
  },
  { additionalProperties: false },
);

export const MetricsSourceSpec = Type.Object(
  {
    url: Type.String({
      pattern: '^https?://[^\\s]+$',
      maxLength: 2048,
      description: "The Prometheus server's base URL (its HTTP API is at `<url>/api/v1/query`).",
    }),
    auth: Type.Optional(
      Type.Union(
        [
          Type.Object(
            { bearerToken: SecretKeyRef },
            { additionalProperties: false, description: 'Sent as `Authorization: Bearer <token>`.' },
          ),
          Type.Object(
            {
              basic: Type.Object(
                {
                  username: Type.String({ minLength: 1, maxLength: 253 }),
                  password: SecretKeyRef,
                },
                { additionalProperties: false },
              ),
            },
            { additionalProperties: false, description: 'HTTP basic authentication.' },
          ),
        ],
        { description: 'Credentials from the secret store; absent: no authentication.' },
      ),
    ),
    timeoutSeconds: Type.Integer({
      minimum: 1,
      maximum: 120,
      default: 10,
      description: 'How long one query may take before the evaluation counts the source as unreachable.',
    }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type MetricsSourceSpec = Static<typeof MetricsSourceSpec>;

export const MetricsSourceStatus = Type.Object(
  { conditions: Type.Optional(Type.Array(Condition)) },
  { additionalProperties: false },
);

export const metricsSourceKind: KindDefinition = {
  kind: 'MetricsSource',
  plural: 'metricssources',
  shortNames: ['ms'],
  scope: 'Team',
  description:
    "A Prometheus server that a team's alert rules query with PromQL, with its credentials kept in the secret store.",
  spec: MetricsSourceSpec,
  status: MetricsSourceStatus,
  printerColumns: [{ name: 'URL', jsonPath: '.spec.url' }],
};
