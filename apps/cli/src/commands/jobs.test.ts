import { describe, expect, it } from 'vitest';
import type { JobParameterSchema } from '@gantry/client';
import { parseParameterFlags } from './jobs.ts';

const schema: JobParameterSchema = {
  type: 'object',
  properties: {
    service: { type: 'string' },
    max_age_days: { type: 'integer', minimum: 1 },
    ratio: { type: 'number' },
    dry_run: { type: 'boolean' },
  },
  required: ['service'],
};

describe('parseParameterFlags', () => {
  it("turns the template's parameters into flags of their types", () => {
    expect(
      parseParameterFlags(schema, ['--service', 'nginx', '--max-age-days=7', '--ratio', '0.5', '--dry-run']),
    ).toEqual({ service: 'nginx', max_age_days: 7, ratio: 0.5, dry_run: true });
    expect(parseParameterFlags(schema, ['--no-dry-run', '--service=a=b'])).toEqual({
      dry_run: false,
      service: 'a=b',
    });
    expect(parseParameterFlags(schema, ['--dry_run=false'])).toEqual({ dry_run: false });
  });

  it('refuses unknown flags (naming the known ones), values of the wrong type, and missing values', () => {
    expect(() => parseParameterFlags(schema, ['--servce', 'x'])).toThrow(
      'unknown parameter --servce for this template; its flags: --service, --max-age-days, --ratio, --dry-run',
    );
    expect(() => parseParameterFlags(schema, ['--max-age-days', '1.5'])).toThrow(
      '--max-age-days takes an integer (got 1.5)',
    );
    expect(() => parseParameterFlags(schema, ['--ratio', 'lots'])).toThrow(
      '--ratio takes a number (got lots)',
    );
    expect(() => parseParameterFlags(schema, ['--service'])).toThrow('--service needs a value');
    expect(() => parseParameterFlags(schema, ['--dry-run=maybe'])).toThrow(
      '--dry-run takes true or false (got maybe)',
    );
    expect(() => parseParameterFlags(undefined, ['--x', '1'])).toThrow(
      'unknown parameter --x for this template; it takes none',
    );
    expect(() => parseParameterFlags(schema, ['stray'])).toThrow('unexpected argument "stray"');
  });
});
