import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { NAME_PATTERN } from '../resource.ts';

/** A key of one of the channel's team's secrets: resolved when a notification is sent, never shown. */
export const SecretKeyRef = Type.Object(
  {
    name: Type.String({
      pattern: NAME_PATTERN,
      maxLength: 63,
      description: 'A secret of the channel’s team.',
    }),
    key: Type.String({ pattern: '^[-._a-zA-Z0-9]{1,253}$', description: 'The key within the secret.' }),
  },
  { additionalProperties: false },
);
export type SecretKeyRef = Static<typeof SecretKeyRef>;

export const NOTIFICATION_CHANNEL_TYPES = [
  'webhook',
  'slack',
  'dingtalk',
  'feishu',
  'wecom',
  'email',
] as const;
export type NotificationChannelType = (typeof NOTIFICATION_CHANNEL_TYPES)[number];

const urlSecret = SecretKeyRef;

export const WebhookSettings = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        format: 'uri',
        pattern: '^https?://',
        maxLength: 2048,
        description:
          'Where the Alertmanager v4 payload is posted; or `urlSecret` when the URL holds a token.',
      }),
    ),
    urlSecret: Type.Optional(urlSecret),
    authorizationSecret: Type.Optional(
      Type.Composite([SecretKeyRef], {
        description: 'Its value is sent as `Authorization: Bearer <value>`.',
      }),
    ),
    maxAlerts: Type.Integer({
      minimum: 0,
      maximum: 10000,
      default: 0,
      description: 'Most alerts in one payload (the rest are counted in `truncatedAlerts`); 0 is no limit.',
    }),
  },
  { additionalProperties: false },
);

const robot = (what: string, signDescription?: string) =>
  Type.Object(
    {
      urlSecret: Type.Composite([SecretKeyRef], { description: `The ${what} URL (it holds the token).` }),
      ...(signDescription
        ? { signSecret: Type.Optional(Type.Composite([SecretKeyRef], { description: signDescription })) }
        : {}),
    },
    { additionalProperties: false },
  );

export const SlackSettings = Type.Object(
  {
    urlSecret: Type.Composite([SecretKeyRef], { description: 'The incoming webhook URL.' }),
    channel: Type.Optional(Type.String({ maxLength: 80, description: 'Overrides the webhook’s channel.' })),
    username: Type.Optional(Type.String({ maxLength: 80 })),
  },
  { additionalProperties: false },
);
export const DingTalkSettings = robot(
  'DingTalk robot webhook',
  'The robot’s signing secret (SEC...): the URL gets `timestamp` and `sign` (HMAC-SHA256).',
);
export const FeishuSettings = robot(
  'Feishu/Lark custom bot webhook',
  'The bot’s signature secret: the body gets `timestamp` and `sign` (HMAC-SHA256).',
);
export const WeComSettings = robot('WeCom group robot webhook');

export const EmailSettings = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, description: 'The SMTP server.' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
    tls: Type.Union([Type.Literal('starttls'), Type.Literal('tls'), Type.Literal('none')], {
      default: 'starttls',
      description:
        '`starttls` (upgrade required), `tls` (implicit TLS, port 465) or `none` (plain; only for local relays).',
    }),
    insecureSkipVerify: Type.Boolean({ default: false, description: 'Accept any server certificate.' }),
    username: Type.Optional(Type.String({ maxLength: 253 })),
    passwordSecret: Type.Optional(SecretKeyRef),
    from: Type.String({ minLength: 3, maxLength: 320, description: 'The sender address.' }),
    to: Type.Array(Type.String({ minLength: 3, maxLength: 320 }), { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

export const NotificationChannelSpec = Type.Object(
  {
    type: Type.Union(
      NOTIFICATION_CHANNEL_TYPES.map((type) => Type.Literal(type)),
      { description: 'Which of the settings below applies; exactly that one must be given.' },
    ),
    webhook: Type.Optional(WebhookSettings),
    slack: Type.Optional(SlackSettings),
    dingtalk: Type.Optional(DingTalkSettings),
    feishu: Type.Optional(FeishuSettings),
    wecom: Type.Optional(WeComSettings),
    email: Type.Optional(EmailSettings),
    templates: Type.Optional(
      Type.Object(
        {
          title: Type.Optional(Type.String({ maxLength: 4096 })),
          body: Type.Optional(Type.String({ maxLength: 65536 })),
        },
        {
          additionalProperties: false,
          description:
            'Text with `${...}` CEL expressions over the notification (status, alerts, groupLabels, commonLabels, commonAnnotations, externalURL, groupKey, receiver, truncatedAlerts); no code is run. Defaults per type.',
        },
      ),
    ),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 10, description: 'Per attempt.' }),
    retry: Type.Object(
      {
        maxAttempts: Type.Integer({ minimum: 1, maximum: 50, default: 6 }),
        initialBackoffSeconds: Type.Number({ minimum: 0.1, maximum: 3600, default: 1 }),
        maxBackoffSeconds: Type.Number({ minimum: 0.1, maximum: 86400, default: 300 }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'Attempt n waits a random time between half and all of min(max, initial·2^(n-1)) after attempt n-1.',
      },
    ),
    rateLimit: Type.Object(
      {
        perMinute: Type.Number({ minimum: 0.1, maximum: 60000, default: 60 }),
        burst: Type.Integer({ minimum: 1, maximum: 10000, default: 10 }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'A token bucket per server; notifications beyond it wait in the outbox, none is dropped.',
      },
    ),
    concurrency: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 4,
      description: 'Most sends in flight to this channel at once, per server.',
    }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  {
    additionalProperties: false,
    // Exactly the settings of the chosen type: JSON Schema's if/then, so the error names the field.
    allOf: NOTIFICATION_CHANNEL_TYPES.map((type) => ({
      if: { properties: { type: { const: type } }, required: ['type'] },
      then: {
        required: [type],
        properties: Object.fromEntries(
          NOTIFICATION_CHANNEL_TYPES.filter((other) => other !== type).map((other) => [other, false]),
        ),
      },
    })),
  },
);
export type NotificationChannelSpec = Static<typeof NotificationChannelSpec>;

export const notificationChannelKind: KindDefinition = {
  kind: 'NotificationChannel',
  plural: 'notificationchannels',
  shortNames: ['nc'],
  scope: 'Team',
  description:
    'Where a team’s alert notifications go: a webhook (Alertmanager v4 payload), Slack, DingTalk, Feishu/Lark, WeCom or email, with templates, retries and a rate limit.',
  spec: NotificationChannelSpec,
  printerColumns: [
    { name: 'Type', jsonPath: '.spec.type' },
    { name: 'Timeout', jsonPath: '.spec.timeoutSeconds' },
  ],
};
