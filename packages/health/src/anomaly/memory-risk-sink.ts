import type { WriteFence } from '@gantry/store';
import type { RiskObservation, RiskSink, RiskSource } from '../ports.ts';

/** One risk as the in-memory sink holds it. */
export interface HeldRisk {
  source: RiskSource;
  observation: RiskObservation;
  openedAt: Date;
  updatedAt: Date;
}

/**
 * A RiskSink that keeps risks in memory with the port's level-triggered meaning (what a source's check
 * sees now replaces what it saw before): for the evaluator's tests, and as the reference for what the
 * real sink must do with the calls.
 */
export class MemoryRiskSink implements RiskSink {
  readonly open = new Map<string, HeldRisk>();
  readonly calls: { source: RiskSource; observations: RiskObservation[]; at: Date; fence?: WriteFence }[] =
    [];
  /** Set to make the next calls fail, as a store that is down (or one that refuses a fence). */
  failing: Error | undefined;

  observe(source: RiskSource, observations: RiskObservation[], at: Date, fence?: WriteFence): Promise<void> {
    if (this.failing) return Promise.reject(this.failing);
    this.calls.push({ source, observations, at, ...(fence ? { fence } : {}) });
    const prefix = `${source.team}\u0000${source.kind}\u0000${source.name}\u0000${source.check}\u0000`;
    const seen = new Set<string>();
    for (const observation of observations) {
      const key = prefix + observation.key;
      seen.add(key);
      const held = this.open.get(key);
      this.open.set(key, { source, observation, openedAt: held?.openedAt ?? at, updatedAt: at });
    }
    for (const key of this.open.keys()) if (key.startsWith(prefix) && !seen.has(key)) this.open.delete(key);
    return Promise.resolve();
  }

  risks(): HeldRisk[] {
    return [...this.open.values()];
  }
}
