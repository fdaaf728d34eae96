import type { Lease } from '@gantry/store';
import type { LeaseStore } from './leader-election.ts';

/**
 * LeaseRepository's rules in memory, for unit tests of the runtime: renew your own, take an expired one,
 * create a missing one. `mode` makes every call fail or hang, as a lost database would.
 */
export class MemoryLeaseStore implements LeaseStore {
  readonly leases = new Map<string, Lease>();
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  calls = 0;

  tryAcquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    this.calls += 1;
    if (this.mode === 'fail') return Promise.reject(new Error('database unavailable'));
    if (this.mode === 'hang') return new Promise(() => undefined);
    const lease = this.leases.get(name);
    if (!lease || lease.holder === holder || lease.expiresAt < now) {
      const transitions =
        lease && lease.holder !== holder ? lease.transitions + 1 : (lease?.transitions ?? 0);
      this.leases.set(name, { name, holder, expiresAt: now + ttlMs, renewedAt: now, transitions });
      return Promise.resolve(true);
    }
    return Promise.resolve(false);
  }

  release(name: string, holder: string): Promise<void> {
    if (this.mode === 'fail') return Promise.reject(new Error('database unavailable'));
    const lease = this.leases.get(name);
    if (lease?.holder === holder) lease.expiresAt = 0;
    return Promise.resolve();
  }

  get(name: string): Promise<Lease | undefined> {
    if (this.mode === 'fail') return Promise.reject(new Error('database unavailable'));
    if (this.mode === 'hang') return new Promise(() => undefined);
    const lease = this.leases.get(name);
    return Promise.resolve(lease ? { ...lease } : undefined);
  }

  holder(name: string): string | undefined {
    return this.leases.get(name)?.holder;
  }
}
