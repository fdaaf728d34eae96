import { describe, expect, it } from 'vitest';
import { FlapTracker } from './flapping.ts';

describe('FlapTracker', () => {
  const options = { transitions: 4, windowMs: 60_000, quietMs: 20_000 };

  it('flaps after enough state changes within the window and settles after a quiet period', () => {
    const tracker = new FlapTracker(options);
    tracker.observe('f', 'firing', 0);
    for (const [index, at] of [1_000, 2_000, 3_000].entries()) {
      tracker.observe('f', index % 2 === 0 ? 'resolved' : 'firing', at);
    }
    expect(tracker.isFlapping('f', 3_500)).toBe(false);
    tracker.observe('f', 'resolved', 3_800);
    expect(tracker.isFlapping('f', 3_800)).toBe(false); // the same state again is no change
    tracker.observe('f', 'firing', 4_000);
    expect(tracker.isFlapping('f', 4_000)).toBe(true);
    expect(tracker.isFlapping('f', 23_999)).toBe(true);
    expect(tracker.isFlapping('f', 24_000)).toBe(false);
  });

  it('does not count changes older than the window', () => {
    const tracker = new FlapTracker(options);
    tracker.observe('f', 'firing', 0);
    tracker.observe('f', 'resolved', 1_000);
    tracker.observe('f', 'firing', 2_000);
    tracker.observe('f', 'resolved', 3_000);
    tracker.observe('f', 'firing', 100_000);
    expect(tracker.isFlapping('f', 100_000)).toBe(false);
  });

  it('is off with transitions 0', () => {
    const tracker = new FlapTracker({ ...options, transitions: 0 });
    tracker.observe('f', 'firing', 0);
    for (let at = 1; at < 20; at++) tracker.observe('f', at % 2 ? 'resolved' : 'firing', at);
    expect(tracker.isFlapping('f', 20)).toBe(false);
  });
});
