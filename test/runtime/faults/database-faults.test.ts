/**
 * Database faults under a real table load: PostgreSQL restarted (crash and
 * recovery) or the loading backend terminated in the middle of a COPY, a
 * statement cut off by the time limit, the server at its connection limit,
 * and a warm pool whose connections all died while idle. After each, the
 * retry (the same event again) loads the file exactly once: nothing lost,
 * nothing doubled, and file_metadata, results, backups and notifications say
 * what happened.
 *
 * The server is this file's own (test/support/fault-postgres.ts). A trigger
 * on the target table makes the COPY slow (a sleep per row, set in
 * fault_control) and counts the rows it has seen in a sequence, which other
 * sessions can read while the COPY's transaction is open: the fault is
 * injected once a few hundred rows are in.
 */
import { Client } from 'pg';
import {
  EMPTY, expected, faultRuntime, FaultRuntime, generateCsv, limit, sinksEnv, statusesSent, tableChecksum, TABLE, waitFor,
} from './fault-helpers';
import { handleEvent } from '../../../src/runtime/entry/handle-event';
import { startFaultPostgres, FaultPostgres } from '../../support/fault-postgres';
import { closeHelpers, createAws, fileRows, listKeys, query, readText, sqsEvent, TestAws, upload } from '../helpers';

let pg: FaultPostgres;
let aws: TestAws;

beforeAll(async () => {
  [pg, aws] = await Promise.all([startFaultPostgres({ maxConnections: 20 }), createAws({ versioned: true })]);
});

afterAll(async () => {
  closeHelpers();
  await pg?.stop();
});

interface Setup {
  readonly url: string;
  readonly user: string;
  readonly runtime: FaultRuntime;
}

/** A login with its own database, a warm runtime on it (schema migrated) and the slow-row trigger on the table. */
async function setup(rowSleepSeconds: number): Promise<Setup> {
  const login = await pg.createLogin();
  const runtime = faultRuntime(aws, login.url, { env: sinksEnv() });
  const client = await runtime.database!.connect();
  client.release();
  await query(login.url, `
    CREATE TABLE fault_control (row_sleep float8 NOT NULL);
    INSERT INTO fault_control VALUES (${rowSleepSeconds});
    CREATE SEQUENCE fault_progress;
    CREATE FUNCTION fault_slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM nextval('fault_progress');
      PERFORM pg_sleep((SELECT row_sleep FROM fault_control));
      RETURN NEW;
    END $$;
    CREATE TRIGGER fault_slow BEFORE INSERT ON ${TABLE} FOR EACH ROW EXECUTE FUNCTION fault_slow_row();
  `);
  return { url: login.url, user: login.user, runtime };
}

/** Rows the COPY has passed to the table so far (uncommitted), from the trigger's sequence. */
async function progress(url: string): Promise<number> {
  const [row] = await query(url, 'SELECT last_value::int AS n, is_called FROM fault_progress');
  return row.is_called ? row.n : 0;
}

const fastRows = (url: string) => query(url, 'UPDATE fault_control SET row_sleep = 0');
const rowsFor = async (url: string, key: string) => (await fileRows(url)).filter((r) => r.key === key);
const backupsOf = async (key: string) => (await listKeys(aws.backup, 'backup/')).filter((k) => k.endsWith(`/${key}`));
const result = async (key: string) => JSON.parse(await readText(aws.output, `results/${key}.json`));

/** The retry of a file whose first attempt failed mid-load: exactly the file's rows, once, and a success message. */
async function retrySucceeds(s: Setup, event: unknown, key: string, csv: ReturnType<typeof generateCsv>, attempts: number, before: string[]) {
  await fastRows(s.url);
  const retry = await handleEvent(sqsEvent(event), { ...s.runtime, remainingMs: limit(120_000) });
  expect(retry.batchItemFailures).toEqual([]);
  expect(retry.files).toEqual([expect.objectContaining({ key, status: 'succeeded', rows: csv.rows, attempt: attempts })]);
  expect(await tableChecksum(s.url)).toEqual(expected(csv));
  expect(await rowsFor(s.url, key)).toEqual([expect.objectContaining({
    status: 'succeeded', attempts, rows_count: String(csv.rows), error: null, notified_at: expect.any(Date),
  })]);
  expect(await result(key)).toMatchObject({ status: 'succeeded', rows: csv.rows });
  expect(await backupsOf(key)).toHaveLength(1);
  expect(await statusesSent(aws.topicArn, key)).toEqual([...before, 'succeeded']);
  // And a third delivery is a duplicate that changes nothing.
  const third = await handleEvent(sqsEvent(event), s.runtime);
  expect(third.files).toEqual([expect.objectContaining({ status: 'duplicate', retry: false })]);
  expect(await tableChecksum(s.url)).toEqual(expected(csv));
  expect(await statusesSent(aws.topicArn, key)).toEqual([...before, 'succeeded']);
}

test('PostgreSQL restarted (immediate: crash and recovery) in the middle of a COPY: failed, retried, loaded exactly once', async () => {
  const s = await setup(0.005);
  try {
    const key = 'db-faults/restart-mid-load.csv';
    const csv = generateCsv(3000);
    const { event } = await upload(aws.input, key, csv.body);
    const running = handleEvent(sqsEvent(event), { ...s.runtime, remainingMs: limit(120_000) });
    await waitFor(async () => (await progress(s.url)) >= 200, 'COPY under way');
    await pg.restartImmediate();
    const first = await running;

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(first.files).toEqual([expect.objectContaining({ status: 'failed', errorKind: 'internal', retry: true, attempt: 1 })]);
    // The crash took the open transaction with it. The failure is recorded on a new connection if the server
    // takes one within 2 s; while it is still recovering the row stays `processing` until the retry.
    expect(await tableChecksum(s.url)).toEqual(EMPTY);
    const [row] = await rowsFor(s.url, key);
    expect(row).toMatchObject({ attempts: 1, rows_count: null });
    expect(['processing', 'failed']).toContain(row.status);
    if (row.status === 'failed') expect(row).toMatchObject({ error_kind: 'internal', error: first.files[0].error });
    expect(await result(key)).toMatchObject({ status: 'failed', rows: null, error: first.files[0].error });
    expect(await backupsOf(key)).toEqual([]);
    expect(await statusesSent(aws.topicArn, key)).toEqual(['failed']);

    // The dead connection's error event was heard, not an uncaught exception that would end the process.
    expect(s.runtime.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'database connection lost while in use' }));

    await retrySucceeds(s, event, key, csv, 2, ['failed']);
  } finally {
    await s.runtime.close();
  }
});

test('the loading backend terminated (pg_terminate_backend) mid-COPY: failed, retried, loaded exactly once', async () => {
  const s = await setup(0.005);
  try {
    const key = 'db-faults/terminated.csv';
    const csv = generateCsv(3000, 't');
    const { event } = await upload(aws.input, key, csv.body);
    const running = handleEvent(sqsEvent(event), { ...s.runtime, remainingMs: limit(120_000) });
    await waitFor(async () => (await progress(s.url)) >= 200, 'COPY under way');
    const ended = await pg.admin(
      "SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE usename = $1 AND query LIKE 'COPY %'", [s.user],
    );
    expect(ended).toEqual([expect.objectContaining({ ended: true })]);
    const first = await running;

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(first.files).toEqual([expect.objectContaining({
      status: 'failed', errorKind: 'internal', retry: true, error: expect.stringMatching(/terminat/),
    })]);
    expect(await tableChecksum(s.url)).toEqual(EMPTY);
    // The server is up: the failure is recorded (and its message marked sent) on a new connection.
    expect(await rowsFor(s.url, key)).toEqual([expect.objectContaining({
      status: 'failed', error_kind: 'internal', attempts: 1, error: first.files[0].error, notified_at: expect.any(Date),
    })]);
    expect(await result(key)).toMatchObject({ status: 'failed', rows: null });
    expect(await backupsOf(key)).toEqual([]);
    expect(await statusesSent(aws.topicArn, key)).toEqual(['failed']);
    // The session's advisory locks died with it: nothing blocks the retry.
    expect(await query(s.url, "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'")).toEqual([{ n: 0 }]);
    expect(s.runtime.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'database connection lost while in use' }));

    await retrySucceeds(s, event, key, csv, 2, ['failed']);
  } finally {
    await s.runtime.close();
  }
});

test('statement_timeout (the time the host leaves) cancels a long COPY: recorded failed, rolled back, retried', async () => {
  const s = await setup(0.01);
  try {
    const key = 'db-faults/statement-timeout.csv';
    const csv = generateCsv(2000, 's');
    const { event } = await upload(aws.input, key, csv.body);
    const started = Date.now();
    const first = await handleEvent(sqsEvent(event), { ...s.runtime, remainingMs: limit(5000), finishMarginMs: 2500 });
    expect(Date.now() - started).toBeLessThan(5000);

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(first.files).toEqual([expect.objectContaining({
      status: 'failed', errorKind: 'internal', retry: true, error: expect.stringMatching(/^ran out of time: .*canceling statement due to statement timeout/),
    })]);
    expect(await progress(s.url)).toBeGreaterThan(0);
    expect(await tableChecksum(s.url)).toEqual(EMPTY);
    // The connection survived the cancel, so this time the failure is recorded.
    expect(await rowsFor(s.url, key)).toEqual([expect.objectContaining({
      status: 'failed', error_kind: 'internal', attempts: 1, error: expect.stringMatching(/ran out of time/), notified_at: expect.any(Date),
    })]);
    expect(await result(key)).toMatchObject({ status: 'failed', rows: null, error: expect.stringMatching(/ran out of time/) });
    expect(await backupsOf(key)).toEqual([]);
    expect(await statusesSent(aws.topicArn, key)).toEqual(['failed']);

    await retrySucceeds(s, event, key, csv, 2, ['failed']);
  } finally {
    await s.runtime.close();
  }
});

test('the server at its connection limit: a cold processor fails clearly and is retried; it succeeds once a slot frees', async () => {
  const login = await pg.createLogin();
  const held: Client[] = [];
  const runtime = faultRuntime(aws, login.url, { env: sinksEnv() });
  try {
    // Take every slot a non-superuser can have (max_connections less the superuser reserve).
    for (;;) {
      const c = new Client({ connectionString: login.url });
      c.on('error', () => undefined);
      try {
        await c.connect();
      } catch (err) {
        expect(err).toMatchObject({ code: '53300' });
        break;
      }
      held.push(c);
      if (held.length > 50) throw new Error('the server took more connections than max_connections');
    }
    const key = 'db-faults/connection-limit.csv';
    const csv = generateCsv(50, 'c');
    const { event } = await upload(aws.input, key, csv.body);
    const first = await handleEvent(sqsEvent(event), runtime);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(first.files).toEqual([expect.objectContaining({
      status: 'failed',
      errorKind: 'internal',
      retry: true,
      // PostgreSQL 15 words it so when only the superuser reserve is left, 16 and later name the SUPERUSER attribute (SQLSTATE 53300 either way).
      error: expect.stringMatching(new RegExp(`^Cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${pg.port} \\(database ${login.database}, user ${login.user}\\): `
        + '(sorry, too many clients already|remaining connection slots are reserved for (non-replication superuser connections|roles with the SUPERUSER attribute))'
        + ' — the server is at its connection limit \\(max_connections, or the role\'s CONNECTION LIMIT\\); the file is delivered again')),
    })]);
    expect(await result(key)).toMatchObject({ status: 'failed', rows: null, error: first.files[0].error });
    expect(await statusesSent(aws.topicArn, key)).toEqual(['failed']);

    await held.pop()!.end();
    const retry = await handleEvent(sqsEvent(event), runtime);
    expect(retry.batchItemFailures).toEqual([]);
    expect(retry.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: csv.rows, attempt: 1 })]);
    // The checks below need connections of their own.
    await Promise.all(held.splice(0).map((c) => c.end()));
    expect(await tableChecksum(login.url)).toEqual(expected(csv));
    expect(await rowsFor(login.url, key)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1 })]);
    expect(await backupsOf(key)).toHaveLength(1);
    expect(await statusesSent(aws.topicArn, key)).toEqual(['failed', 'succeeded']);
  } finally {
    await Promise.all(held.map((c) => c.end().catch(() => undefined)));
    await runtime.close();
  }
});

test('a restart while the processor is idle: the warm pool drops its dead connections and the next file loads', async () => {
  const s = await setup(0);
  try {
    const a = generateCsv(100, 'a');
    const first = await upload(aws.input, 'db-faults/before-restart.csv', a.body);
    expect((await handleEvent(sqsEvent(first.event), s.runtime)).files).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    await pg.restartImmediate();
    await waitFor(() => s.runtime.logs.some((l) => l.message === 'idle database connection failed'), 'the pool saw its idle connection die');

    const b = generateCsv(100, 'b');
    const second = await upload(aws.input, 'db-faults/after-restart.csv', b.body);
    const after = await handleEvent(sqsEvent(second.event), s.runtime);
    expect(after.batchItemFailures).toEqual([]);
    expect(after.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 100 })]);
    const both = await query(s.url, `SELECT count(*)::int AS n FROM ${TABLE}`);
    expect(both).toEqual([{ n: 200 }]);
    expect((await fileRows(s.url)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  } finally {
    await s.runtime.close();
  }
});

test('a restart under concurrent loads (three processors, and a second version of one key waiting for the first): every file retried, each key loaded exactly once, the newest version wins', async () => {
  const s = await setup(0.005);
  const others = [1, 2, 3].map(() => faultRuntime(aws, s.url, { env: sinksEnv() }));
  const runtimes = [s.runtime, ...others];
  try {
    const files = [
      { key: 'db-faults/concurrent-a.csv', tag: 'ca', csv: generateCsv(1500, 'ca') },
      { key: 'db-faults/concurrent-b.csv', tag: 'cb', csv: generateCsv(1500, 'cb') },
      { key: 'db-faults/concurrent-c.csv', tag: 'cc', csv: generateCsv(1500, 'cc') },
      { key: 'db-faults/concurrent-a.csv', tag: 'cz', csv: generateCsv(900, 'cz') },
    ];
    const uploads = [];
    for (const f of files) uploads.push(await upload(aws.input, f.key, f.csv.body));
    const events = uploads.map((u) => u.event);
    const running = events.map((e, i) => handleEvent(sqsEvent(e), { ...runtimes[i], remainingMs: limit(120_000) }));
    const copying = async () => (await pg.admin(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND query LIKE 'COPY %' AND state = 'active'", [s.user],
    ))[0].n;
    await waitFor(async () => (await copying()) === 3 && (await progress(s.url)) >= 300, 'three COPYs under way');
    await pg.restartImmediate();
    const first = await Promise.all(running);
    // The three COPYs under way fail and ask for a retry; the run that waited for the key's lock fails the
    // same way, unless it only reached the server after the restart (then it simply runs).
    const firstOutcomes = first.flatMap((r) => r.files);
    expect(firstOutcomes.filter((o) => o.status === 'failed' && o.retry).length).toBeGreaterThanOrEqual(3);
    for (const [i, r] of first.entries()) {
      expect(r.files).toEqual([expect.objectContaining(r.files[0].status === 'failed' ? { retry: true } : { status: 'succeeded' })]);
      expect(r.batchItemFailures).toEqual(r.files[0].status === 'failed' ? [{ itemIdentifier: 'm-0' }] : []);
      if (r.files[0].status === 'succeeded') expect(i).toBe(0);
    }

    await fastRows(s.url);
    // All four delivered again at once, in reverse order: the older version of a may come after the newer one.
    const retries = await Promise.all([...events].reverse().map((e, i) => handleEvent(sqsEvent(e), { ...runtimes[i], remainingMs: limit(120_000) })));
    expect(retries.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(retries.flatMap((r) => r.files).filter((o) => o.key !== files[0].key).map((o) => o.status)).toEqual(['succeeded', 'succeeded']);
    // The older version of a: loaded and replaced, or superseded without loading; either way its rows are gone.
    const perFile = await pg.admin(`
      SELECT split_part(name, '-', 1) AS tag, count(*)::int AS rows,
             md5(string_agg(id || ',' || name || ',' || amount::text, E'\\n' ORDER BY id)) AS md5
      FROM ${TABLE} GROUP BY 1 ORDER BY 1`, [], s.user);
    expect(perFile).toEqual([files[1], files[2], files[3]].map((f) => ({ tag: f.tag, rows: f.csv.rows, md5: f.csv.md5 })));
    const rows = await fileRows(s.url);
    const versionsOfA = Object.fromEntries(rows.filter((r) => r.key === files[0].key).map((r) => [r.version, r.status]));
    expect(versionsOfA).toEqual({ [uploads[0].versionId!]: expect.stringMatching(/^(replaced|superseded)$/), [uploads[3].versionId!]: 'succeeded' });
    expect(rows.filter((r) => r.key !== files[0].key).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(await query(s.url, "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'")).toEqual([{ n: 0 }]);
  } finally {
    await Promise.all(others.map((r) => r.close()));
    await s.runtime.close();
  }
});

test('a processor that cold-starts during a long load neither waits for it nor holds it up (its schema check takes no table lock)', async () => {
  const s = await setup(0.005);
  const cold = faultRuntime(aws, s.url, { env: sinksEnv() });
  try {
    const big = generateCsv(2000, 'big');
    const small = generateCsv(10, 'small');
    const bigUpload = await upload(aws.input, 'db-faults/long-load.csv', big.body);
    const smallUpload = await upload(aws.input, 'db-faults/cold-start.csv', small.body);
    const running = handleEvent(sqsEvent(bigUpload.event), { ...s.runtime, remainingMs: limit(120_000) });
    await waitFor(async () => (await progress(s.url)) >= 100, 'the long load under way');
    const started = Date.now();
    const out = await handleEvent(sqsEvent(smallUpload.event), { ...cold, remainingMs: limit(60_000) });
    expect(out.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 10 })]);
    // The long load (about 10 s of sleeping rows) is still going: the cold start did not wait for it.
    expect(await progress(s.url)).toBeLessThan(2000);
    expect(Date.now() - started).toBeLessThan(5000);
    await fastRows(s.url);
    expect((await running).files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 2000 })]);
    const perFile = await pg.admin(`SELECT split_part(name, '-', 1) AS tag, count(*)::int AS rows FROM ${TABLE} GROUP BY 1 ORDER BY 1`, [], s.user);
    expect(perFile).toEqual([{ tag: 'big', rows: 2000 }, { tag: 'small', rows: 10 }]);
  } finally {
    await Promise.all([cold.close(), s.runtime.close()]);
  }
});
