import { Migrator } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, migrateToLatest, type Connection } from './connect.ts';
import { migrations } from './migrations/index.ts';
import { HostRepository, receiptKey } from './host-repository.ts';
import { JobRepository, type NewJobRun, type OutputFate } from './job-repository.ts';

let connection: Connection;
let jobs: JobRepository;

const newRun = (id: string, team = 'ops'): NewJobRun => ({
  id,
  team,
  template: 't',
  templateVersion: '1',
  scriptSha256: 'x',
  parameters: {},
  targets: { hosts: [] },
  execution: {},
  concurrency: 10,
  batchSize: null,
  stopAfterFailures: null,
  createdBy: 'otto',
  schedule: null,
  rerunOf: null,
  createdAt: '2026-12-03T00:00:00.000Z',
});
const audit = (name: string) => ({
  actor: 'otto',
  source: 'test',
  action: 'run',
  kind: 'JobRun',
  team: 'ops',
  name,
});
async function createRun(id: string, hosts: string[], team = 'ops', clusters: string[] = []): Promise<void> {
  await jobs.create(
    newRun(id, team),
    [
      ...hosts.map((target) => ({ target, kind: 'host' as const })),
      ...clusters.map((target) => ({ target, kind: 'cluster' as const })),
    ],
    audit(id),
  );
}
const ids = async (query: Parameters<JobRepository['list']>[0]) => {
  const page = await jobs.list(query);
  return { ids: page.items.map((run) => run.id), nextSeq: page.nextSeq };
};

describe('JobRepository on SQLite', () => {
  beforeEach(async () => {
    connection = connect({ url: ':memory:' });
    await migrateToLatest(connection);
    jobs = new JobRepository(connection.db, 'sqlite');
  });
  afterEach(async () => {
    await connection.close();
  });

  it("lists a host's runs newest first, page by page, within the caller's teams, as a primary-key lookup", async () => {
    await createRun('r1', ['web-1', 'web-2']);
    await createRun('r2', ['web-2'], 'ops', ['cluster/east']);
    await createRun('r3', ['web-1', 'db-1']);
    await createRun('r4', ['web-1'], 'other');
    expect((await ids({ host: 'web-1', limit: 10 })).ids).toEqual(['r4', 'r3', 'r1']);
    expect((await ids({ host: 'web-1', team: 'ops', limit: 10 })).ids).toEqual(['r3', 'r1']);
    expect((await ids({ host: 'web-1', teams: ['other'], limit: 10 })).ids).toEqual(['r4']);
    expect((await ids({ host: 'web-2', limit: 10 })).ids).toEqual(['r2', 'r1']);
    // A cluster target is not a host.
    expect((await ids({ host: 'cluster/east', limit: 10 })).ids).toEqual([]);
    const first = await ids({ host: 'web-1', team: 'ops', limit: 1 });
    expect(first.ids).toEqual(['r3']);
    expect((await ids({ host: 'web-1', team: 'ops', limit: 1, beforeSeq: first.nextSeq! })).ids).toEqual([
      'r1',
    ]);
    // The other filters still apply.
    await jobs.finish('r3', 'Succeeded', 'AllSucceeded', '2026-12-03T00:01:00.000Z');
    expect((await ids({ host: 'web-1', team: 'ops', state: 'Running', limit: 10 })).ids).toEqual(['r1']);

    // The host's page is read from the primary key of job_run_hosts, newest first and cut there; each run
    // by its key. No scan of the runs or their targets, and nothing sorted but the page itself.
    const compiled = jobs.listQuery({ host: 'web-1', team: 'ops', limit: 10 }).compile();
    const plan = await connection.db.executeQuery<{ detail: string }>({
      ...compiled,
      sql: `explain query plan ${compiled.sql}`,
    });
    const details = plan.rows.map((row) => row.detail).join('\n');
    expect(details).toMatch(
      /SEARCH h USING (COVERING INDEX|INDEX|PRIMARY KEY) ?(sqlite_autoindex_job_run_hosts_1)? ?\(host=\? AND team=\?\)/,
    );
    expect(details).toMatch(/SEARCH r USING INTEGER PRIMARY KEY/);
    expect(details).not.toMatch(/SCAN (r|job_runs|job_targets)/);
  });

  it('fills the runs of each host for the runs stored before migration 0019', async () => {
    await connection.close();
    connection = connect({ url: ':memory:' });
    const migrator = new Migrator({
      db: connection.db,
      provider: { getMigrations: () => Promise.resolve(migrations('sqlite')) },
      migrationTableName: 'gantry_migrations',
      migrationLockTableName: 'gantry_migrations_lock',
    });
    const before = await migrator.migrateTo('0012-jobs');
    expect(before.error).toBeUndefined();
    jobs = new JobRepository(connection.db, 'sqlite');
    // As 0012 stored them: the run and its targets only.
    await connection.db
      .insertInto('job_runs')
      .values({
        id: 'old',
        team: 'ops',
        template: 't',
        template_version: '1',
        script_sha256: 'x',
        parameters: '{}',
        targets: '{}',
        execution: '{}',
        concurrency: 1,
        batch_size: null,
        stop_after_failures: null,
        created_by: 'otto',
        schedule: null,
        rerun_of: null,
        state: 'Succeeded',
        reason: 'AllSucceeded',
        cancel_requested: 0,
        created_at: '2026-12-01T00:00:00.000Z',
        finished_at: null,
      })
      .execute();
    for (const [ordinal, [target, kind]] of [
      ['web-1', 'host'],
      ['cluster/east', 'cluster'],
    ].entries())
      await connection.db
        .insertInto('job_targets')
        .values({
          run_id: 'old',
          target: target!,
          kind: kind!,
          ordinal,
          state: 'succeeded',
          attempt: 1,
          exit_code: 0,
          signal: null,
          reason: 'Exited',
          message: '',
          output_bytes: 0,
          truncated: 0,
          dispatched_at: null,
          started_at: null,
          finished_at: null,
          deadline: null,
        })
        .execute();
    expect(await migrateToLatest(connection)).toContain('0019-job-run-hosts');
    await createRun('new', ['web-1']);
    expect((await ids({ host: 'web-1', limit: 10 })).ids).toEqual(['new', 'old']);
    expect((await ids({ host: 'cluster/east', limit: 10 })).ids).toEqual([]);
  });

  it('appends a batch of output as one chunk after the other would: duplicates once, the cap per target, ids in order', async () => {
    await createRun('r1', ['a', 'b', 'c']);
    const chunk = (target: string, seq: number, data: string, capBytes = 10) => ({
      runId: 'r1',
      target,
      attempt: 1,
      seq,
      stream: 'stdout' as const,
      data,
      at: '2026-12-03T00:00:00.000Z',
      capBytes,
    });
    expect(await jobs.appendOutputCapped(chunk('a', 1, 'aaaa'), 10)).toBe('stored');
    const fates: OutputFate[] = await jobs.appendOutputBatch('r1', [
      chunk('a', 1, 'aaaa'), // stored before: a redelivery
      chunk('a', 2, 'aaaaaa'), // 4 stored < 10: stored (10 now)
      chunk('b', 1, 'bb'),
      chunk('a', 3, 'aa'), // 10 is not under the cap: dropped, a truncated
      chunk('b', 1, 'bb'), // twice in one batch: once
      chunk('c', 1, '12345678901'), // 0 < 10: stored, though it passes the cap (the agent cuts, not us)
      chunk('c', 2, 'x'),
      chunk('ghost', 1, 'x'), // no such target
    ]);
    expect(fates).toEqual([
      'duplicate',
      'stored',
      'stored',
      'over-cap',
      'duplicate',
      'stored',
      'over-cap',
      'over-cap',
    ]);
    const targets = new Map((await jobs.targets('r1')).map((t) => [t.target, t]));
    expect([...targets.values()].map((t) => [t.target, t.outputBytes, t.truncated])).toEqual([
      ['a', 10, true],
      ['b', 2, false],
      ['c', 11, true],
    ]);
    const output = await jobs.output('r1', { after: 0, limit: 100 });
    expect(output.map((c) => `${c.target}/${c.seq}`)).toEqual(['a/1', 'a/2', 'b/1', 'c/1']);
    expect(output.map((c) => c.id)).toEqual([...output.map((c) => c.id)].sort((x, y) => x - y));
  });

  it('moves many targets of one attempt with one statement, only those still in the given states', async () => {
    await createRun('r1', ['a', 'b', 'c']);
    expect(
      await jobs.updateTargetsAt('r1', 0, ['a', 'b', 'c'], ['queued'], { state: 'dispatched', attempt: 1 }),
    ).toEqual(new Set(['a', 'b', 'c']));
    await jobs.updateTarget('r1', 'b', ['dispatched'], { state: 'running' }, 1);
    const started = await jobs.updateTargetsAt('r1', 1, ['a', 'b', 'c', 'nope'], ['dispatched'], {
      state: 'running',
      reason: 'Started',
    });
    expect(started).toEqual(new Set(['a', 'c']));
    // A stale attempt moves nothing.
    expect(await jobs.updateTargetsAt('r1', 2, ['a'], ['running'], { state: 'succeeded' })).toEqual(
      new Set(),
    );
  });

  it('records many report receipts at once and answers the ones not seen before', async () => {
    const hosts = new HostRepository(connection.db);
    expect(await hosts.receive('ops', 'web-1', 'm1', 1)).toBe(true);
    const fresh = await hosts.receiveMany(
      [
        { team: 'ops', host: 'web-1', id: 'm1' },
        { team: 'ops', host: 'web-1', id: 'm2' },
        { team: 'ops', host: 'web-2', id: 'm1' },
        { team: 'ops', host: 'web-1', id: 'm2' },
      ],
      2,
    );
    expect(fresh).toEqual(
      new Set([
        receiptKey({ team: 'ops', host: 'web-1', id: 'm2' }),
        receiptKey({ team: 'ops', host: 'web-2', id: 'm1' }),
      ]),
    );
    // In a transaction another repository joins: rolled back together.
    await expect(
      hosts.transaction(async (tx) => {
        await hosts.within(tx).receiveMany([{ team: 'ops', host: 'web-3', id: 'm1' }], 3);
        await jobs.within(tx).updateTargetsAt('none', 0, ['x'], ['queued'], { state: 'running' });
        throw new Error('listener failed');
      }),
    ).rejects.toThrow('listener failed');
    expect(await hosts.receive('ops', 'web-3', 'm1', 4)).toBe(true);
  });
});
