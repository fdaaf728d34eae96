import { Type, type Static } from '@sinclair/typebox';
import { NAME_PATTERN } from '../resource.ts';

/** An environment variable's name as Kubernetes takes it (a C identifier, which every shell reads). */
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** A node's name: a DNS subdomain. */
export const NODE_NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
/** A label key: an optional DNS prefix and a name. */
export const LABEL_KEY_PATTERN = '^([a-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
/** A label value: at most 63 characters, alphanumerics at both ends. */
export const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

/**
 * A Kubernetes Job run on a cluster for a Change's `kubernetesJob` (ADR 0041): one Job per target cluster,
 * one container, no Kubernetes retries (`backoffLimit: 0`: a failed Job is a failed step, and the change's
 * failure policy or healing's ladder decides what comes next). Strings are taken as they are: a command
 * and its arguments are an argv, never given to a shell by Gantry.
 */
export const ChangeKubernetesJob = Type.Object(
  {
    image: Type.String({ minLength: 1, maxLength: 1024, description: 'The container image.' }),
    command: Type.Optional(
      Type.Array(Type.String({ maxLength: 4096 }), {
        maxItems: 64,
        description: "The container's entrypoint (argv); absent: the image's.",
      }),
    ),
    args: Type.Optional(
      Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 256, description: 'Arguments (argv).' }),
    ),
    namespace: Type.String({
      pattern: NAME_PATTERN,
      maxLength: 63,
      default: 'default',
      description: 'The namespace the Job is created in.',
    }),
    env: Type.Record(
      Type.String({ pattern: ENV_NAME_PATTERN, maxLength: 256 }),
      Type.String({ maxLength: 32_768 }),
      {
        default: {},
        description: 'Environment variables of the container, by name.',
      },
    ),
    labels: Type.Record(
      Type.String({ pattern: LABEL_KEY_PATTERN, maxLength: 317 }),
      Type.String({ pattern: LABEL_VALUE_PATTERN, maxLength: 63 }),
      { default: {}, description: "Labels on the Job's pod, beside Gantry's own (`gantry.dev/*`)." },
    ),
    nodeName: Type.Optional(
      Type.String({
        maxLength: 253,
        description: 'Runs the pod on this node (bypassing the scheduler), e.g. a repair on the node itself.',
      }),
    ),
    serviceAccountName: Type.Optional(
      Type.String({ pattern: NAME_PATTERN, maxLength: 253, description: "The pod's service account." }),
    ),
    activeDeadlineSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 600,
      description: 'How long the Job may run once started; Kubernetes fails it after (`DeadlineExceeded`).',
    }),
    ttlSecondsAfterFinished: Type.Integer({
      minimum: 60,
      maximum: 2_592_000,
      default: 3600,
      description:
        'How long the finished Job (and its pod, with its log) is kept before Kubernetes deletes it.',
    }),
    progressDeadlineSeconds: Type.Integer({
      minimum: 10,
      maximum: 172_800,
      default: 900,
      description:
        'How long Gantry waits from the Job’s creation for it to succeed or fail (scheduling included); past it the Job is deleted and the step fails (`ProgressDeadlineExceeded`).',
    }),
  },
  { additionalProperties: false },
);
export type ChangeKubernetesJob = Static<typeof ChangeKubernetesJob>;
