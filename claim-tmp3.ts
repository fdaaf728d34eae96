import Database from 'better-sqlite3';
const d = new Database('/tmp/ob/db.sqlite');
const q = [
 [`select team, channel, due_at from notifications where state = 'pending' and team = ? and channel > ? order by team, channel, due_at, seq limit 1`, ['bench','hook']],
 [`select team, channel, due_at from notifications where state = 'pending' and team = ? and channel > ? order by team, channel, due_at, seq limit 1`, ['bench','other']],
 [`select team, channel, due_at from notifications where state = 'pending' and team > ? order by team, channel, due_at, seq limit 1`, ['bench']],
];
for (const [sql, args] of q) {
  for (const r of d.prepare('explain query plan ' + sql).all(...args)) console.log('   ', r.detail);
  const st = d.prepare(sql); const t = performance.now(); for (let i = 0; i < 100; i++) st.all(...args); console.log('   ', ((performance.now() - t) / 100).toFixed(3), 'ms');
}
