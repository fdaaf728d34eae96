import { describe, expect, it } from 'vitest';
import { isoLast, isoMs } from './iso-time.ts';

describe('isoMs', () => {
  it('answers as Date.parse, for times seen before and new ones, past its bound', () => {
    const texts = Array.from({ length: 10_000 }, (_, i) =>
      new Date(1_700_000_000_000 + i * 997).toISOString(),
    );
    for (let round = 0; round < 2; round++)
      for (const text of texts) expect(isoMs(text)).toBe(Date.parse(text));
    expect(isoMs('2026-12-04T05:00:00.123+02:00')).toBe(Date.parse('2026-12-04T05:00:00.123+02:00'));
    expect(isoMs('not a time')).toBeNaN();
  });

  it("answers the same through a field's own memo, alternating with other fields", () => {
    const starts = isoLast();
    const ends = isoLast();
    for (let i = 0; i < 50; i++) {
      const start = new Date(1_700_000_000_000 + (i >> 2) * 1000).toISOString();
      const end = new Date(1_700_000_300_000 + (i % 3) * 1000).toISOString();
      expect(isoMs(start, starts)).toBe(Date.parse(start));
      expect(isoMs(end, ends)).toBe(Date.parse(end));
      expect(isoMs(end)).toBe(Date.parse(end));
    }
  });
});
