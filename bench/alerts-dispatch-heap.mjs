// The alert dispatcher's heap per held alert, in process (issue 10, Performance: 100,000 alerts in 10,000
// groups in under 500 MB RSS). Feeds `--alerts` alerts shaped as bench/alerts-scale.mjs posts them (6
// labels, one annotation, 10 per group of [alertname, cluster]) to an AlertDispatcher as the dispatch runner
// hands them over, with group timers pending, and reports the V8 heap used after a full GC before and after:
// the dispatcher's own live set (alerts, groups, membership, flap histories), without HTTP, SQLite or garbage.
// Usage: node --expose-gc --import tsx bench/alerts-dispatch-heap.mjs [--alerts 100000] [--per-group 10]
import { parseArgs } from 'node:util';
import { AlertDispatcher, ManualClock, MemoryNotificationLog } from '@gantry/alerts';

const { values } = parseArgs({
  options: {
    alerts: { type: 'string', default: '100000' },
    'per-group': { type: 'string', default: '10' },
  },
});
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc --import tsx');
const ALERTS = Number(values.alerts);
const PER_GROUP = Number(values['per-group']);
const heapMb = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const clock = new ManualClock(Date.parse('2026-12-03T08:00:00Z'));
const dispatcher = new AlertDispatcher({
  clock,
  log: new MemoryNotificationLog(),
  sink: { notify: () => Promise.resolve() },
});
dispatcher.setTeamConfig('bench', {
  routings: [
    {
      name: 'main',
      spec: {
        receivers: ['hook'],
        groupBy: ['alertname', 'cluster'],
        groupWait: '2s',
        groupInterval: '10s',
        repeatInterval: '4h',
      },
    },
  ],
  inhibitRules: [],
  timeIntervals: [],
});
const before = heapMb();
const now = clock.now();
for (let from = 0; from < ALERTS; from += 1000) {
  const batch = [];
  for (let i = from; i < Math.min(ALERTS, from + 1000); i++) {
    const g = Math.floor(i / PER_GROUP);
    // Parsed from JSON text, as the ingest's body parser gives them.
    const labels = JSON.parse(
      JSON.stringify({
        alertname: `ScaleAlert${g % 100}`,
        cluster: `cluster-${Math.floor(g / 100)}`,
        instance: `host-${i}:9100`,
        job: 'node',
        severity: 'warning',
        team: 'bench',
      }),
    );
    batch.push({
      fingerprint: i.toString(16).padStart(16, '0'),
      labels,
      annotations: JSON.parse(JSON.stringify({ summary: `scale alert ${i}` })),
      startsAt: now,
      endsAt: now + 3_600_000,
      updatedAt: now,
      generatorURL: JSON.parse('"http://prometheus.example/graph"'),
    });
  }
  dispatcher.upsertAlerts('bench', batch);
}
const after = heapMb();
const groups = dispatcher.groups('bench').length;
console.log(
  `${ALERTS} alerts in ${groups} groups: dispatcher heap ${(after - before).toFixed(1)} MB ` +
    `(${Math.round(((after - before) * 2 ** 20) / ALERTS)} bytes per alert); heap used ${after.toFixed(1)} MB`,
);
await dispatcher.stop();
