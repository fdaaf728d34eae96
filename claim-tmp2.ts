import Database from 'better-sqlite3';
const d = new Database('/tmp/ob/db.sqlite');
const now = Date.now();
const q = [
 [`select seq, state, claimed_by, team, channel from notifications where state = 'sending' and lease_until < ? order by lease_until limit 16`, [now]],
 [`select team, channel, due_at from notifications where state = 'pending' and (team, channel) > (?, ?) order by team, channel, due_at, seq limit 1`, ['bench','hook']],
 [`select team, channel, due_at from notifications where state = 'pending' order by team, channel, due_at, seq limit 1`, []],
 [`select n.seq from notifications as n where n.state='pending' and n.team=? and n.channel=? and n.due_at <= ? and not exists (select o.seq from notifications as o where o.team=? and o.channel=? and o.state='sending' and o.group_key = n.group_key and o.lease_until >= ?) order by n.due_at, n.seq limit 16`, ['bench','hook',now,'bench','hook',now]],
];
for (const [sql, args] of q) {
  console.log(sql.slice(0, 80));
  for (const r of d.prepare('explain query plan ' + sql).all(...args)) console.log('   ', r.detail);
  const st = d.prepare(sql); const t = performance.now(); for (let i = 0; i < 100; i++) st.all(...args); console.log('   ', ((performance.now() - t) / 100).toFixed(3), 'ms');
}
