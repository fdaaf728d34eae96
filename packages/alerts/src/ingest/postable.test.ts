import { Value } from '@sinclair/typebox/value';
import { FormatRegistry } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { PostableAlerts } from '@gantry/model';
import { postableProblem } from './postable.ts';

// The schema's `date-time`, as Fastify's ajv-formats reads it (full RFC 3339, `T`, `t` or a space).
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (text) =>
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/.test(text),
  );

describe('postableProblem', () => {
  it('takes exactly what the PostableAlerts schema takes', () => {
    const bodies: unknown[] = [
      [],
      [{ labels: { alertname: 'A' } }],
      [
        {
          labels: {},
          annotations: {},
          startsAt: '2026-03-01T10:00:00Z',
          endsAt: '2026-03-01T10:00:00.123+01:00',
        },
      ],
      [{ labels: { a: 'b' }, generatorURL: 'http://x', extra: { any: 1 } }],
      [{ labels: { a: 'b' }, startsAt: '2026-03-01 10:00:00z' }],
      {},
      'text',
      null,
      [null],
      [[]],
      [{}],
      [{ labels: [] }],
      [{ labels: { a: 1 } }],
      [{ labels: { a: null } }],
      [{ labels: { a: 'b' }, annotations: 'x' }],
      [{ labels: { a: 'b' }, annotations: { n: true } }],
      [{ labels: { a: 'b' }, startsAt: 'yesterday' }],
      [{ labels: { a: 'b' }, startsAt: '' }],
      [{ labels: { a: 'b' }, endsAt: 5 }],
      [{ labels: { a: 'b' }, startsAt: '2026-03-01T10:00:00' }],
      [{ labels: { a: 'b' }, generatorURL: 7 }],
      [{ labels: { a: 'b' } }, { labels: null }],
    ];
    for (const body of bodies)
      expect(postableProblem(body) === undefined, JSON.stringify(body)).toBe(
        Value.Check(PostableAlerts, body),
      );
  });

  it('names the first place that is wrong', () => {
    expect(postableProblem({})).toEqual({ path: '', message: 'must be array' });
    expect(postableProblem([{ labels: { a: 'b' } }, { labels: { c: 1 } }])).toEqual({
      path: '/1/labels/c',
      message: 'must be string',
    });
    expect(postableProblem([{ annotations: {} }])).toEqual({
      path: '/0',
      message: "must have required property 'labels'",
    });
  });
});
