import { Store } from '@gantry/store';
const store = await Store.open({ url: '/tmp/ob/db.sqlite' });
const db = store.connection.db;
const N = Number(process.argv[2] ?? 10000);
const now = Date.now();
await db.deleteFrom('notifications').execute();
const rows = [];
for (let i = 0; i < N; i++) rows.push({ id: crypto.randomUUID(), team: 'bench', channel: i % 10 === 0 ? 'other' : 'hook', group_key: `g${i}`, dedup_key: `d${i}`, state: 'pending', status: 'firing', alert_count: 1, message: '{}', attempts: 0, due_at: now - 1000 + i % 7, created_at: 'x', updated_at: 'x' });
for (let i = 0; i < rows.length; i += 500) await db.insertInto('notifications').values(rows.slice(i, i + 500)).execute();
const raw = (store.connection as any);
for (const exclude of [['bench/hook'], []]) {
  let t0 = 0;
  let n = 0;
  for (let k = 0; k < 20; k++) {
    const t = performance.now();
    const got = await store.notifications.claim({ server: 's', now, leaseMs: 1000, limit: 16, exclude, capacity: { 'bench/hook': 16, 'bench/other': 16 }, defaultCapacity: 4 });
    t0 += performance.now() - t;
    n += got.length;
    // give back
    for (const g of got) await store.notifications.release(g, g.dueAt, now);
  }
  console.log(N, 'exclude', exclude, (t0 / 20).toFixed(2), 'ms per claim', n / 20);
}
await store.close();
