import { Type, type Static } from '@sinclair/typebox';

/**
 * One label matcher, in the shape Alertmanager's API v2 uses for silences (`isEqual` false negates), so
 * `amtool` and Prometheus-era tooling speak it unchanged. Routes, inhibit rules and silences all use it.
 */
export const AlertMatcher = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256, description: 'The label name.' }),
    value: Type.String({ maxLength: 4096, description: 'The value, or a regular expression when isRegex.' }),
    isRegex: Type.Boolean({ description: 'The value is a regular expression, anchored at both ends.' }),
    isEqual: Type.Boolean({ default: true, description: 'false negates the match (!= or !~).' }),
  },
  { additionalProperties: false },
);
export type AlertMatcher = Static<typeof AlertMatcher>;
