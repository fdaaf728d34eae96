// Writes batches of alerts to SQLite on a connection of its own, in a worker thread, so that the statements
// and the commit run on another core than the server's event loop (ADR 0038). The server sends a batch
// only while it holds its own connection (Kysely's lock), so no other transaction of the store is open
// meanwhile: this connection is never one of two writers, and no transaction of the server's can see its
// snapshot overtaken. Plain JavaScript: it is started as its own file, from sources and bundle.
// `planWrite` is `planAlertWrite` of sqlite-alert-statements.ts, with its merge of times (`mergeAlertTimes`):
// alert-writes.test.ts holds the two to the same answers.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * What to write for `alert` given the stored head at `now` (the server's clock of the write, ISO), or
 * undefined when nothing but `updated_at` would change. The times merge as Alertmanager 0.25 merges a posted
 * alert with the one it holds, when their activity ranges overlap (strictly): the earlier start stays; the
 * stored end, when later, stays if both are resolved, or if the new alert fires and the stored end was
 * given (not a timeout: `ends_timeout` 0). The flag stored is the new alert's.
 */
export function planWrite(alert, stored, now) {
  let startsAt = alert.startsAt;
  let endsAt = alert.endsAt;
  const endsTimeout = alert.endsTimeout === true ? 1 : 0;
  if (
    stored &&
    ((alert.endsAt > stored.starts_at && alert.endsAt < stored.ends_at) ||
      (alert.startsAt > stored.starts_at && alert.startsAt < stored.ends_at))
  ) {
    if (stored.starts_at < alert.startsAt) startsAt = stored.starts_at;
    if (stored.ends_at > alert.endsAt) {
      const resolved = alert.endsAt <= now;
      if (resolved ? stored.ends_at <= now : stored.ends_timeout !== 1) endsAt = stored.ends_at;
    }
  }
  const annotations = JSON.stringify(alert.annotations);
  if (
    stored &&
    stored.starts_at === startsAt &&
    stored.ends_at === endsAt &&
    stored.ends_timeout === endsTimeout &&
    stored.annotations === annotations &&
    stored.generator_url === alert.generatorURL &&
    stored.source === alert.source
  )
    return undefined;
  return { startsAt, endsAt, endsTimeout, annotations };
}

const ENTITY_LENGTH = 253;
const decoder = new TextDecoder();

function start() {
  const db = new Database(workerData.path);
  db.pragma(`busy_timeout = ${workerData.busyMs}`);
  // Checkpoints are the checkpointer's (sqlite-checkpointer.ts), never a commit's.
  db.pragma('wal_autocheckpoint = 0');
  const s = {
    seq: db.prepare('select value from alert_seq where id = 1'),
    setSeq: db.prepare('update alert_seq set value = ? where id = 1'),
    head: db.prepare(
      'select starts_at, ends_at, ends_timeout, annotations, generator_url, source from alerts where team = ? and fingerprint = ?',
    ),
    update: db.prepare(
      'update alerts set seq = ?, starts_at = ?, ends_at = ?, ends_timeout = ?, updated_at = ?, annotations = ?, generator_url = ?, source = ? where team = ? and fingerprint = ?',
    ),
    insert: db.prepare(
      'insert into alerts (team, fingerprint, seq, alertname, labels, annotations, starts_at, ends_at, ends_timeout, updated_at, generator_url, source, cluster, node, namespace, application, component) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  };
  const entity = (alert, name) => (alert.entities[name] ?? '').slice(0, ENTITY_LENGTH);
  // Per alert, the start and end it was stored with, or null when it was left as it was (no sequence
  // number). The write's updatedAt is the server's clock the merge reads.
  const write = db.transaction((alerts, updatedAt) => {
    const last = Number(s.seq.get().value);
    let seq = last;
    const starts = [];
    const ends = [];
    for (const alert of alerts) {
      const stored = s.head.get(alert.team, alert.fingerprint);
      const plan = planWrite(alert, stored, updatedAt);
      if (!plan) {
        starts.push(null);
        ends.push(null);
        continue;
      }
      seq++;
      starts.push(plan.startsAt);
      ends.push(plan.endsAt);
      if (stored)
        s.update.run(
          seq,
          plan.startsAt,
          plan.endsAt,
          plan.endsTimeout,
          updatedAt,
          plan.annotations,
          alert.generatorURL,
          alert.source,
          alert.team,
          alert.fingerprint,
        );
      else
        s.insert.run(
          alert.team,
          alert.fingerprint,
          seq,
          (alert.labels.alertname ?? '').slice(0, 256),
          JSON.stringify(alert.labels),
          plan.annotations,
          plan.startsAt,
          plan.endsAt,
          plan.endsTimeout,
          updatedAt,
          alert.generatorURL,
          alert.source,
          entity(alert, 'cluster'),
          entity(alert, 'node'),
          entity(alert, 'namespace'),
          entity(alert, 'application'),
          entity(alert, 'component'),
        );
    }
    if (seq > last) s.setSeq.run(seq);
    return { fromSeq: last + 1, starts, ends };
  });
  parentPort.on('message', (message) => {
    if (message === 'stop') {
      db.close();
      parentPort.postMessage({ stopped: true });
      return;
    }
    try {
      const result = write.immediate(JSON.parse(decoder.decode(message.bytes)), message.updatedAt);
      parentPort.postMessage({ id: message.id, ok: true, ...result });
    } catch (error) {
      parentPort.postMessage({
        id: message.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
        code: error?.code,
      });
    }
  });
  parentPort.postMessage({ ready: true });
}

if (!isMainThread && parentPort && workerData?.role === 'alert-writer') start();
