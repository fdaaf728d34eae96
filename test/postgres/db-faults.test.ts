import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { BASE, team } from '../support/http.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

/** The bounds of this file's server: short, so that the real waits of real timeouts stay short. */
const ACQUIRE_MS = 1000;
const STATEMENT_MS = 1000;
const READY_MS = 1000;
/** A request may wait for a connection, then for one statement and the client's margin, then answer. */
const REQUEST_BOUND_MS = ACQUIRE_MS + STATEMENT_MS + 1000 + 500;
const READY_BOUND_MS = READY_MS + 500;
const FREEZE_MS = 20_000;

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  replayed: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * PostgreSQL that hangs (frozen: a TCP proxy between the server and PostgreSQL stops forwarding, so the
 * database really stops answering while its connections stay open) and that stops (the proxy drops every
 * connection and refuses new ones), ADR 0029.
 */
describe('a database that hangs or stops', () => {
  let scratch: ScratchDatabase;
  let proxy: TcpProxy;
  let server: TestServer;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    proxy = await TcpProxy.open(scratch.url);
    server = await startTestServer({
      databaseUrl: proxy.url(scratch.url),
      config: {
        instanceId: 'faults',
        dbAcquireTimeoutMs: ACQUIRE_MS,
        dbStatementTimeoutMs: STATEMENT_MS,
        readyTimeoutMs: READY_MS,
      },
    });
  });
  afterAll(async () => {
    proxy?.thaw();
    await server?.close();
    await proxy?.stop();
    await scratch?.drop();
  });

  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; key?: string; signal?: AbortSignal } = {},
  ): Promise<Answer> => {
    const started = performance.now();
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.key ? { 'idempotency-key': options.key } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      ms: Math.round(performance.now() - started),
      retryAfter: response.headers.get('retry-after'),
      replayed: response.headers.get('idempotent-replayed'),
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    };
  };

  const ready = () => call('GET', '/readyz');
  const reconciled = (name: string) =>
    eventually(
      () => call('GET', `${BASE}/teams/${name}`),
      (answer) => answer.status === 200 && (answer.body?.status?.conditions?.length ?? 0) > 0,
      20_000,
      100,
    );

  it('answers 503 with Retry-After within the bounds for the whole of a 20 s freeze, and recovers after the thaw', async () => {
    expect((await ready()).status).toBe(200);
    proxy.freeze();
    const frozenAt = Date.now();
    const rounds: { ready: Answer; list: Answer; create: Answer }[] = [];
    for (let round = 0; Date.now() - frozenAt < FREEZE_MS; round++) {
      const [readyAnswer, list, create] = await Promise.all([
        ready(),
        call('GET', `${BASE}/teams`),
        call('POST', `${BASE}/teams`, { body: team(`frozen-${round}`) }),
      ]);
      rounds.push({ ready: readyAnswer, list, create });
      await sleep(250);
    }
    proxy.thaw();
    const thawedAt = Date.now();
    console.log(
      `freeze of ${FREEZE_MS} ms, ${rounds.length} rounds: slowest /readyz ${Math.max(...rounds.map((r) => r.ready.ms))} ms, ` +
        `list ${Math.max(...rounds.map((r) => r.list.ms))} ms, create ${Math.max(...rounds.map((r) => r.create.ms))} ms; ` +
        `statuses ${[...new Set(rounds.flatMap((r) => [r.ready.status, r.list.status, r.create.status]))].join(',')}`,
    );
    expect(rounds.length).toBeGreaterThanOrEqual(4);
    for (const { ready: readyAnswer, list, create } of rounds) {
      expect(readyAnswer.status).toBe(503);
      expect(readyAnswer.ms).toBeLessThan(READY_BOUND_MS);
      for (const answer of [list, create]) {
        expect(answer.status).toBe(503);
        expect(answer.ms).toBeLessThan(REQUEST_BOUND_MS);
        expect(Number(answer.retryAfter)).toBeGreaterThan(0);
        expect(['GANTRY_E_DATABASE_TIMEOUT', 'GANTRY_E_UNAVAILABLE']).toContain(answer.body.code);
      }
    }
    // Requests that waited for a connection or a statement said so with the timeout's code.
    expect(
      rounds.some((r) => [r.list, r.create].some((a) => a.body.code === 'GANTRY_E_DATABASE_TIMEOUT')),
    ).toBe(true);

    await eventually(ready, (answer) => answer.status === 200, 10_000, 100);
    console.log(`ready again ${Date.now() - thawedAt} ms after the thaw`);
    expect((await call('POST', `${BASE}/teams`, { body: team('after-thaw') })).status).toBe(201);
    // The controllers lost their leases during the freeze and run again: a new team gets its status.
    await reconciled('after-thaw');
  }, 90_000);

  it('answers the retry of a create whose first answer was lost with the first answer', async () => {
    proxy.freeze();
    const giveUp = new AbortController();
    const first = call('POST', `${BASE}/teams`, {
      body: team('lost-answer'),
      key: 'lost-answer-1',
      signal: giveUp.signal,
    }).catch((error: unknown) => error);
    await sleep(300);
    giveUp.abort(); // the client gives up while the database does not answer...
    expect(await first).toBeInstanceOf(Error);
    proxy.thaw(); // ...and the server goes on and commits the create.
    const stored = await eventually(
      () => call('GET', `${BASE}/teams/lost-answer`),
      (answer) => answer.status === 200,
      10_000,
      50,
    );
    const retry = await call('POST', `${BASE}/teams`, { body: team('lost-answer'), key: 'lost-answer-1' });
    expect(retry.status).toBe(201);
    expect(retry.replayed).toBe('true');
    expect(retry.body.metadata.uid).toBe(stored.body.metadata.uid);
    // The create's own answer, as first sent (the team controller may have written its status since).
    expect(retry.body.metadata.creationTimestamp).toBe(stored.body.metadata.creationTimestamp);
    expect(retry.body.status).toBeUndefined();
    // Without the key the retry is a second create of the same name.
    expect((await call('POST', `${BASE}/teams`, { body: team('lost-answer') })).status).toBe(409);
    // The same key for another request is refused, and writes nothing.
    const reused = await call('POST', `${BASE}/teams`, { body: team('lost-other'), key: 'lost-answer-1' });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('GANTRY_E_IDEMPOTENCY_KEY_REUSED');
    expect((await call('GET', `${BASE}/teams/lost-other`)).status).toBe(404);
  });

  it('answers two concurrent creates with the same key once: both get the one object', async () => {
    const answers = await Promise.all(
      [0, 1, 2].map(() => call('POST', `${BASE}/teams`, { body: team('raced'), key: 'raced-1' })),
    );
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
    expect(new Set(answers.map((answer) => answer.body.metadata.uid)).size).toBe(1);
    expect(answers.filter((answer) => answer.replayed === 'true')).toHaveLength(2);
  });

  it('answers 503 at once while the database is stopped, and recovers when it starts again', async () => {
    await proxy.stop();
    await sleep(200);
    const stopped = await Promise.all([ready(), call('GET', `${BASE}/teams`)]);
    console.log(`database stopped: /readyz ${stopped[0].ms} ms, list ${stopped[1].ms} ms`);
    expect(stopped[0].status).toBe(503);
    expect(stopped[0].ms).toBeLessThan(READY_BOUND_MS);
    expect(stopped[1].status).toBe(503);
    expect(stopped[1].ms).toBeLessThan(REQUEST_BOUND_MS);
    expect(Number(stopped[1].retryAfter)).toBeGreaterThan(0);
    await sleep(2000);
    await proxy.start();
    await eventually(ready, (answer) => answer.status === 200, 10_000, 100);
    expect((await call('POST', `${BASE}/teams`, { body: team('after-restart') })).status).toBe(201);
    await reconciled('after-restart');
  }, 60_000);
});
