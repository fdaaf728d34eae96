// The change engine (issue 13, ADR 0026), in process on a SQLite file (or PostgreSQL with --db URL), with
// a fake actuator that takes no time, so what is measured is the engine's own work: journal writes and
// reads, folding, status projection. Reports (1) a change over 1,000 entities in 10 batches: the engine's
// time per batch (goal < 100 ms); (2) 100 concurrent changes of 100 entities, stepped round-robin: RSS
// after (goal < 300 MB); (3) after a simulated SIGKILL, the time a new leader takes to read a 1,000-entity
// journal and take its next step.
// Usage: node --import tsx bench/changes.ts [--entities 1000] [--changes 100] [--concurrent 100] [--db URL]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChangeHarness, FakeActuator, TEAM, type EngineTerm } from '@gantry/changes/testing';
import { Store } from '@gantry/store';

const { values } = parseArgs({
  options: {
    entities: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '100' },
    concurrent: { type: 'string', default: '100' },
    db: { type: 'string' },
  },
});
const entityCount = Number(values.entities);
const changeCount = Number(values.changes);
const maxConcurrent = Number(values.concurrent);
const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-changes-'));
const store = await Store.open({ url: values.db ?? join(dir, 'gantry.db') });
const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}/n${String(i).padStart(5, '0')}`);
const actuator = new FakeActuator(names('east', entityCount));
const h = new ChangeHarness(store, actuator, Date.parse('2026-03-02T00:00:00Z'), 60_000);
await h.createTeam();
const tenBatches = { batches: [{ size: '10%', bake: '5m', repeat: true }], maxConcurrent };

/** One reconcile, timed; moves the clock by its requeue. */
async function step(term: EngineTerm, name: string): Promise<{ ms: number; done: boolean }> {
  const started = performance.now();
  const result = await term.engine.reconcile(term.ctx, { team: TEAM, name });
  const ms = performance.now() - started;
  if (result.requeueAfterMs !== undefined) h.now += result.requeueAfterMs;
  return { ms, done: result.requeueAfterMs === undefined };
}

// (0) A first, small change warms the process up as a running server is: the Change kind's schema
// validators compile at the first write of a Change and of its status (once per process), and the JIT
// warms. Its time is reported apart (`warmupMs`), not as a batch of the change measured below.
await h.apply('Change', 'warm-up', {
  nodeOperation: { operation: 'cordon' },
  targets: { names: names('east', 10) },
  plan: { batches: [{ size: '100%', bake: '0s' }], maxConcurrent: 10 },
});
const leader = (await h.lead('bench'))!;
const warmStart = performance.now();
for (let done = false; !done;) done = (await step(leader, 'warm-up')).done;
const warmupMs = Math.round(performance.now() - warmStart);

// (1) 1,000 entities in 10 batches.
await h.apply('Change', 'big', {
  nodeOperation: { operation: 'cordon' },
  targets: { selector: '' },
  plan: tenBatches,
});
const perBatch = new Map<number, number>();
for (;;) {
  const before = (await h.status('big')).currentBatch ?? 0;
  const { ms, done } = await step(leader, 'big');
  perBatch.set(before, (perBatch.get(before) ?? 0) + ms);
  if (done) break;
}
const batchMs = [...perBatch.values()].map((ms) => Math.round(ms));
console.log(
  JSON.stringify({
    bench: 'one change',
    entities: entityCount,
    batches: perBatch.size,
    phase: (await h.status('big')).phase,
    engineMsPerBatch: batchMs,
    maxMsPerBatch: Math.max(...batchMs),
    warmupMs,
  }),
);

// (3) A new leader after a kill: read the journal of a 1,000-entity change in its last batch, take a step.
await h.apply('Change', 'resume', {
  nodeOperation: { operation: 'cordon' },
  targets: { selector: '' },
  plan: tenBatches,
});
for (;;) {
  await step(leader, 'resume');
  if ((await h.status('resume')).currentBatch === 9) break;
}
leader.term.abort();
h.expireLease();
const next = (await h.lead('bench-2'))!;
const resumeStarted = performance.now();
await step(next, 'resume');
console.log(
  JSON.stringify({
    bench: 'resume after kill',
    journalEntries: (await h.status('resume')).journalEntries,
    firstStepMs: Math.round(performance.now() - resumeStarted),
  }),
);

// (2) Many changes at once, stepped round-robin (as the controller's workers would).
const small = new FakeActuator(names('west', 100));
const many = new ChangeHarness(store, small, h.now, 60_000);
for (let i = 0; i < changeCount; i++)
  await many.apply('Change', `c${i}`, {
    nodeOperation: { operation: 'cordon' },
    targets: { selector: '' },
    plan: { batches: [{ size: '10%', bake: '1m', repeat: true }], maxConcurrent: 10 },
  });
h.expireLease();
many.now = h.now + 120_000;
const term = (await many.lead('bench-3'))!;
const pending = new Set(Array.from({ length: changeCount }, (_, i) => `c${i}`));
const started = performance.now();
while (pending.size > 0) {
  for (const name of [...pending]) {
    const result = await term.engine.reconcile(term.ctx, { team: TEAM, name });
    if (result.requeueAfterMs === undefined) pending.delete(name);
  }
  many.now += 60_000;
}
console.log(
  JSON.stringify({
    bench: 'concurrent changes',
    changes: changeCount,
    entitiesEach: 100,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
  }),
);
await store.close();
rmSync(dir, { recursive: true, force: true });
