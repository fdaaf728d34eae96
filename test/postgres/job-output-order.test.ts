import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '@gantry/store';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

// A follower reads a run's output by id (`after` = the last id it has). Output chunks of many targets
// arrive at once, each stored in its own transaction; the follower must not skip one that took a lower
// id but committed later (found by bench/jobs-fleet.mjs: ~1 % of chunks missed at 10 MB/s).
const TARGETS = 16;
const CHUNKS = 60;

let scratch: ScratchDatabase | undefined;
let store: Store | undefined;
beforeAll(async () => {
  scratch = await createScratchDatabase();
  store = await Store.open({ url: scratch.url });
});
afterAll(async () => {
  await store?.close();
  await scratch?.drop();
});

describe('job output on PostgreSQL', () => {
  it('a follower by cursor sees every chunk written concurrently, none skipped', async () => {
    const jobs = store!.jobs;
    const runId = 'run-order';
    const targets = Array.from({ length: TARGETS }, (_, i) => `host-${i}`);
    await jobs.create(
      {
        id: runId,
        team: 'default',
        template: 't',
        templateVersion: '1',
        scriptSha256: 'x',
        parameters: {},
        targets: { hosts: targets },
        execution: {},
        concurrency: TARGETS,
        batchSize: null,
        stopAfterFailures: null,
        createdBy: 'admin',
        schedule: null,
        rerunOf: null,
        createdAt: new Date().toISOString(),
      },
      targets.map((target) => ({ target, kind: 'host' as const })),
      { actor: 'admin', source: 'test', action: 'create', kind: 'JobRun', team: 'default', name: runId },
    );
    let writing = true;
    const seen: string[] = [];
    const follow = (async () => {
      let after = 0;
      for (;;) {
        const last = !writing;
        const chunks = await jobs.output(runId, { after, limit: 1000 });
        for (const chunk of chunks) seen.push(`${chunk.target}/${chunk.seq}`);
        if (chunks.length > 0) after = chunks.at(-1)!.id;
        else if (last) return;
      }
    })();
    await Promise.all(
      targets.map(async (target) => {
        for (let seq = 1; seq <= CHUNKS; seq++)
          await jobs.appendOutputCapped(
            { runId, target, attempt: 1, seq, stream: 'stdout', data: `${target} ${seq}\n`, at: '' },
            1024 * 1024,
          );
      }),
    );
    writing = false;
    await follow;
    expect(seen.length).toBe(TARGETS * CHUNKS);
    for (const target of targets)
      expect(seen.filter((key) => key.startsWith(`${target}/`))).toEqual(
        Array.from({ length: CHUNKS }, (_, i) => `${target}/${i + 1}`),
      );
  });

  it('also with batches (group commits of several servers), each written in one locked transaction', async () => {
    const jobs = store!.jobs;
    const runId = 'run-batches';
    const targets = Array.from({ length: TARGETS }, (_, i) => `host-${i}`);
    await jobs.create(
      {
        id: runId,
        team: 'default',
        template: 't',
        templateVersion: '1',
        scriptSha256: 'x',
        parameters: {},
        targets: { hosts: targets },
        execution: {},
        concurrency: TARGETS,
        batchSize: null,
        stopAfterFailures: null,
        createdBy: 'admin',
        schedule: null,
        rerunOf: null,
        createdAt: new Date().toISOString(),
      },
      targets.map((target) => ({ target, kind: 'host' as const })),
      { actor: 'admin', source: 'test', action: 'create', kind: 'JobRun', team: 'default', name: runId },
    );
    let writing = true;
    const seen: string[] = [];
    const follow = (async () => {
      let after = 0;
      for (;;) {
        const last = !writing;
        const chunks = await jobs.output(runId, { after, limit: 1000 });
        for (const chunk of chunks) seen.push(`${chunk.target}/${chunk.seq}`);
        if (chunks.length > 0) after = chunks.at(-1)!.id;
        else if (last) return;
      }
    })();
    // Four writers (a server each), each holding four targets' agents, write a batch per round: one chunk
    // of each of its targets, the batches of the four in flight at once.
    await Promise.all(
      [0, 1, 2, 3].map(async (writer) => {
        const mine = targets.filter((_, i) => i % 4 === writer);
        for (let seq = 1; seq <= CHUNKS; seq++)
          await jobs.appendOutputBatch(
            runId,
            mine.map((target) => ({
              runId,
              target,
              attempt: 1,
              seq,
              stream: 'stdout' as const,
              data: `${target} ${seq}\n`,
              at: '',
              capBytes: 1024 * 1024,
            })),
          );
      }),
    );
    writing = false;
    await follow;
    expect(seen.length).toBe(TARGETS * CHUNKS);
    for (const target of targets)
      expect(seen.filter((key) => key.startsWith(`${target}/`))).toEqual(
        Array.from({ length: CHUNKS }, (_, i) => `${target}/${i + 1}`),
      );
  });
});
