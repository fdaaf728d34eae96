import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANGE_BATCHES } from '@gantry/model';
import { batchSize, checkPlan, partition } from './plan.ts';

const targets = (count: number) =>
  Array.from({ length: count }, (_, i) => `c1/n${String(i).padStart(4, '0')}`);

describe('plan maths', () => {
  it('sizes batches by count or share of all targets, rounding shares up and never below 1', () => {
    expect(batchSize('1', 1000)).toBe(1);
    expect(batchSize('10%', 1000)).toBe(100);
    expect(batchSize('10%', 25)).toBe(3);
    expect(batchSize('10%', 3)).toBe(1);
    expect(batchSize('100%', 7)).toBe(7);
  });

  it('cuts the seed plan: 1, then 10%, then 10% repeated until every target is in exactly one batch', () => {
    const all = targets(25);
    const result = partition(all, DEFAULT_CHANGE_BATCHES);
    expect(result.uncovered).toEqual([]);
    expect(result.empty).toEqual([]);
    expect(result.batches.map((batch) => batch.entities.length)).toEqual([1, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect(result.batches.map((batch) => batch.bakeMs)).toEqual([
      1_800_000, 600_000, 300_000, 300_000, 300_000, 300_000, 300_000, 300_000, 300_000,
    ]);
    const flat = result.batches.flatMap((batch) => batch.entities);
    expect(flat).toEqual(all);
    expect(new Set(flat).size).toBe(25);
  });

  it('covers 1,000 targets in 1 + 100 + 9 × 100 (last batch the rest) and a single target in one batch', () => {
    const sizes = partition(targets(1000), DEFAULT_CHANGE_BATCHES).batches.map((b) => b.entities.length);
    expect(sizes[0]).toBe(1);
    expect(sizes.slice(1, -1).every((size) => size === 100)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(partition(targets(1), DEFAULT_CHANGE_BATCHES).batches.map((b) => b.entities)).toEqual([
      ['c1/n0000'],
    ]);
  });

  it('reports what a plan without repeat leaves uncovered, and batches left empty', () => {
    const plan = [
      { size: '1', bake: '1m' },
      { size: '2', bake: '1m' },
    ];
    expect(partition(targets(5), plan).uncovered).toEqual(['c1/n0003', 'c1/n0004']);
    expect(partition(targets(2), plan)).toMatchObject({ uncovered: [], empty: [] });
    expect(partition(targets(1), plan).empty).toEqual([1]);
  });

  it('refuses at apply time, with paths: uncovered names, empty batches, repeat not last, selectors a plan cannot cover', () => {
    const plan = [
      { size: '1', bake: '1m' },
      { size: '1', bake: '1m' },
    ];
    expect(checkPlan(plan, targets(3))).toEqual([
      { path: '/spec/plan/batches', message: expect.stringContaining('covers 2 of 3 targets') },
    ]);
    expect(checkPlan(plan, targets(1))).toEqual([
      { path: '/spec/plan/batches/1', message: expect.stringContaining('covered before this batch') },
    ]);
    expect(
      checkPlan(
        [
          { size: '1', bake: '1m', repeat: true },
          { size: '1', bake: '1m' },
        ],
        undefined,
      ),
    ).toEqual([{ path: '/spec/plan/batches/0/repeat', message: 'only the last batch may repeat' }]);
    expect(checkPlan(plan, undefined)).toEqual([
      { path: '/spec/plan/batches', message: expect.stringContaining('selector') },
    ]);
    expect(
      checkPlan(
        [
          { size: '30%', bake: '1m' },
          { size: '70%', bake: '1m' },
        ],
        undefined,
      ),
    ).toEqual([]);
    expect(checkPlan(DEFAULT_CHANGE_BATCHES, undefined)).toEqual([]);
    expect(checkPlan(DEFAULT_CHANGE_BATCHES, targets(40))).toEqual([]);
  });
});
