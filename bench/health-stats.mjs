// Failure statistics at scale (issue 11, Performance: "statistics over 1,000,000 alert records and
// 100,000 exceptions: MTTR per team over 90 days under 300 ms on SQLite and on PostgreSQL"). In one
// process, without HTTP: the store on a SQLite file in a temporary directory (PostgreSQL when
// GANTRY_TEST_POSTGRES_URL is set, e.g. under `node scripts/with-postgres.mjs`, in a scratch database).
//  1. Seeds `--alerts` alert records (default 1,000,000) through `store.alerts.upsert` in batches, and
//     `--exceptions` exceptions (default 100,000), each with one episode (one in ten reopened: a second),
//     two entities (an application, a node in a cluster), over `--days` (default 180) across `--teams`
//     teams (default 20), written in batches straight into `exception_episodes` and `exception_entities`.
//     One in twenty is merged into another (not counted), one in fifty still open.
//  2. Times the statistics service (the repository's SQL, the figures) over the last 90 days: every team
//     by team (the admin view: "MTTR per team"), one team by team, one team by application and by cluster.
//     `--runs` timed calls each after one warm-up; median and max.
// Usage: node --import tsx bench/health-stats.mjs [--alerts 1000000] [--exceptions 100000] [--teams 20]
//        [--days 180] [--runs 7] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { StatsService } from '@gantry/health';
import { Store } from '@gantry/store';

const { values } = parseArgs({
  options: {
    alerts: { type: 'string', default: '1000000' },
    exceptions: { type: 'string', default: '100000' },
    teams: { type: 'string', default: '20' },
    days: { type: 'string', default: '180' },
    runs: { type: 'string', default: '7' },
    json: { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
  },
});
const ALERTS = Number(values.alerts);
const EXCEPTIONS = Number(values.exceptions);
const TEAMS = Number(values.teams);
const DAYS = Number(values.days);
const RUNS = Number(values.runs);
const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T00:00:00Z');
const log = (message) => values.json || console.error(message);

// A seeded PRNG, so that every run writes the same data.
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const iso = (ms) => new Date(ms).toISOString();
const teamOf = (i) => `team-${i % TEAMS}`;

const pgUrl = process.env.GANTRY_TEST_POSTGRES_URL;
let dir;
let scratchName;
let url;
if (pgUrl) {
  scratchName = `gantry_bench_stats_${process.pid}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create database ${scratchName}`);
  await admin.end();
  const target = new URL(pgUrl);
  target.pathname = `/${scratchName}`;
  url = target.toString();
} else {
  dir = mkdtempSync(join(tmpdir(), 'gantry-bench-stats-'));
  url = join(dir, 'gantry.db');
}
const store = await Store.open({ url });
const database = pgUrl ? 'postgres' : 'sqlite';

try {
  // 1. Alerts.
  let started = performance.now();
  const BATCH = 1000;
  for (let i = 0; i < ALERTS; i += BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(ALERTS, i + BATCH); j++) {
      const startsAt = NOW - Math.floor(random() * DAYS * DAY);
      batch.push({
        team: teamOf(j),
        fingerprint: j.toString(16).padStart(16, '0'),
        labels: { alertname: `Bench${j % 50}`, node: `node-${j % 5000}`, cluster: `cluster-${j % 10}` },
        annotations: {},
        startsAt: iso(startsAt),
        endsAt: iso(startsAt + (5 + Math.floor(random() * 120)) * MIN),
        generatorURL: '',
        source: 'generic',
        entities: { cluster: `cluster-${j % 10}`, node: `node-${j % 5000}` },
      });
    }
    await store.alerts.upsert(batch, iso(NOW));
    if ((i / BATCH) % 100 === 0) log(`alerts: ${i}`);
  }
  const alertsSeedMs = performance.now() - started;

  // 2. Exceptions: episodes and entities.
  started = performance.now();
  const db = store.connection.db;
  let episodes = [];
  let entities = [];
  let episodeCount = 0;
  const flush = async () => {
    if (episodes.length) await db.insertInto('exception_episodes').values(episodes).execute();
    if (entities.length) await db.insertInto('exception_entities').values(entities).execute();
    episodes = [];
    entities = [];
  };
  for (let i = 0; i < EXCEPTIONS; i++) {
    const id = `ex-${i}`;
    const team = teamOf(i);
    const spans = i % 10 === 0 ? 2 : 1;
    let opened = NOW - Math.floor(random() * DAYS * DAY);
    for (let ordinal = 1; ordinal <= spans; ordinal++) {
      const firstAlert = opened - Math.floor(random() * 5 * MIN);
      const open = i % 50 === 0 && ordinal === spans;
      const resolved = opened + Math.floor((2 + random() * 240) * MIN);
      const acknowledged = random() < 0.8 ? opened + Math.floor(random() * 30 * MIN) : undefined;
      episodes.push({
        exception_id: id,
        ordinal,
        team,
        severity: ['critical', 'major', 'minor', 'warning'][i % 4],
        opened_at: iso(opened),
        first_alert_at: iso(firstAlert),
        acknowledged_at: acknowledged !== undefined && acknowledged < resolved ? iso(acknowledged) : null,
        mitigated_at: null,
        resolved_at: open ? null : iso(resolved),
        level: resolved - opened > 60 * MIN ? 'P2' : resolved - opened > 10 * MIN ? 'P4' : null,
        merged_into: i % 23 === 7 ? `ex-${i - 1}` : null,
      });
      episodeCount++;
      opened = resolved + Math.floor(random() * 30 * MIN);
    }
    entities.push(
      { exception_id: id, team, kind: 'Application', name: `app-${i % 40}`, cluster: '', namespace: '' },
      {
        exception_id: id,
        team,
        kind: 'Node',
        name: `node-${i % 5000}`,
        cluster: `cluster-${i % 10}`,
        namespace: '',
      },
    );
    if (episodes.length >= 500) await flush();
  }
  await flush();
  const exceptionsSeedMs = performance.now() - started;
  log(`exceptions seeded in ${Math.round(exceptionsSeedMs)} ms`);
  if (pgUrl) await sql`analyze`.execute(db);

  // 3. The queries.
  const stats = new StatsService({ source: store.healthStats, now: () => NOW });
  const request = (by, metrics) => ({ from: NOW - 90 * DAY, to: NOW, by, metrics });
  const cases = [
    ['MTTR per team, every team, 90 days', undefined, request('team', ['mttr'])],
    [
      'all metrics per team, every team, 90 days',
      undefined,
      request('team', ['count', 'mttd', 'mtta', 'mttr', 'mtbf', 'availability']),
    ],
    [
      'all metrics, one team, 90 days',
      ['team-3'],
      request('team', ['count', 'mttd', 'mtta', 'mttr', 'mtbf', 'availability']),
    ],
    [
      'per application, one team, 90 days',
      ['team-3'],
      request('application', ['count', 'mttr', 'availability']),
    ],
    ['per cluster, one team, 90 days', ['team-3'], request('cluster', ['count', 'mttr', 'availability'])],
  ];
  const results = [];
  for (const [name, teams, req] of cases) {
    log(name);
    const answer = await stats.compute(teams, req); // warm-up
    log(`  warm-up done`);
    const times = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      await stats.compute(teams, req);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    results.push({
      name,
      medianMs: Math.round(times[Math.floor(times.length / 2)]),
      maxMs: Math.round(times[times.length - 1]),
      groups: answer.groups.length,
      failures: answer.total.failures,
    });
  }
  const report = {
    database,
    alerts: ALERTS,
    exceptions: EXCEPTIONS,
    episodes: episodeCount,
    teams: TEAMS,
    days: DAYS,
    alertsSeedS: Math.round(alertsSeedMs / 100) / 10,
    exceptionsSeedS: Math.round(exceptionsSeedMs / 100) / 10,
    results,
  };
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(
      `${database}: ${ALERTS} alerts (seeded in ${report.alertsSeedS} s), ${EXCEPTIONS} exceptions / ${episodeCount} episodes over ${DAYS} days in ${TEAMS} teams (seeded in ${report.exceptionsSeedS} s)`,
    );
    for (const r of results)
      console.log(
        `  ${r.name.padEnd(44)} median ${String(r.medianMs).padStart(5)} ms, max ${String(r.maxMs).padStart(5)} ms (${r.groups} groups, ${r.failures ?? '-'} failures)`,
      );
  }
} finally {
  await store.close();
  if (dir && !values['keep-db']) rmSync(dir, { recursive: true, force: true });
  else if (dir) log(`kept ${url}`);
  if (scratchName) {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${scratchName}`);
    await admin.end();
  }
}
