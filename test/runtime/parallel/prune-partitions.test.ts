/**
 * The sweep that drops the emptied partitions of replaced file versions
 * after a file commits (src/runtime/load/parallel/prune-partitions.ts),
 * against PostgreSQL: the replaced version's partition goes and the new
 * version's rows stay; a REPEATABLE READ reader is never blocked and the
 * sweep gives up in time; a sweep killed while it waits leaves a
 * detach-pending partition the next load finishes and drops; a table
 * detached but not dropped is dropped; no detach starts while another load
 * writes the table; a partition with rows, an APPEND
 * table and a table with a DEFAULT partition keep every partition.
 */
import { Client, PoolClient } from 'pg';
import { partitionsOf } from './helpers';
import { S3Source } from '../../../src/runtime/aws/s3-source';
import { silentLogger } from '../../../src/runtime/contract/logger';
import { FileOutcome } from '../../../src/runtime/core/outcome';
import { processFile } from '../../../src/runtime/core/process-file';
import { createPostgresTableSink, tableMigrationSql } from '../../../src/runtime/load';
import { holdTableForLoad, prunePartitions } from '../../../src/runtime/load/parallel/prune-partitions';
import type { PostgresTableSinkConfig } from '../../../src/shared/sink-config';
import { createTestDatabase } from '../../support/db';
import { closeHelpers, createAws, fileRows, putObject, TestAws, testRuntime } from '../helpers';
import { chunked, COLUMNS, tableConfig } from '../load/helpers';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: Client;
let reader: Client;

beforeAll(async () => {
  db = await createTestDatabase('prune');
  client = new Client({ connectionString: db.url });
  reader = new Client({ connectionString: db.url });
  await Promise.all([client.connect(), reader.connect()]);
}, 60_000);

afterAll(async () => {
  closeHelpers();
  await Promise.all([client.end(), reader.end()]);
  await db.drop();
});

/** Rows of `n` lines for `fileId`, over many 1 KiB segments. */
const csv = (n: number, tag: string) => `id,name,amount,day,ok\n${Array.from({ length: n }, (_, i) => `${i},${tag}-${i},1.50,2024-01-02,true`).join('\n')}\n`;
const OPTIONS = { segmentBytes: 1024, pruneWaitMs: 1500, log: silentLogger };

/** The sink tests' ledger: only what the sweep reads of `file_metadata`. */
async function setUp(table: string, over: Partial<PostgresTableSinkConfig> = {}) {
  const config = tableConfig(table, COLUMNS, { parallelism: 2, ...over });
  await client.query('CREATE TABLE IF NOT EXISTS file_metadata (id bigint PRIMARY KEY, status text NOT NULL)');
  for (const sql of tableMigrationSql(config)) await client.query(sql);
  const sink = createPostgresTableSink(config, { parallel: OPTIONS });
  /** Loads a version as the claim transaction does (REPLACE marks the earlier ones replaced), then runs the after-commit sweep. */
  const load = async (fileId: number, earlier: number[] = [], rows = 300, beforeSweep?: () => Promise<void>) => {
    await client.query('BEGIN');
    await sink.load(client as unknown as PoolClient, { fileId, bucket: 'b', key: table, version: `v${fileId}`, earlierFileIds: earlier }, chunked(csv(rows, `f${fileId}`), 500));
    await client.query("INSERT INTO file_metadata VALUES ($1, 'succeeded')", [fileId]);
    if (!sink.keepsEarlierVersions) await client.query("UPDATE file_metadata SET status = 'replaced' WHERE id = ANY($1::bigint[])", [earlier]);
    await client.query('COMMIT');
    await beforeSweep?.();
    await sink.afterCommit(fileId);
  };
  return { config, load };
}

/** What a newer version's claim transaction does to an earlier one: its rows deleted, its record `replaced`. */
async function retire(table: string, fileId: number): Promise<void> {
  await client.query("UPDATE file_metadata SET status = 'replaced' WHERE id = $1", [fileId]);
  await client.query(`DELETE FROM ${table} WHERE _file_id = $1`, [fileId]);
}

const byFile = async (table: string, c: Client = client) =>
  (await c.query(`SELECT _file_id::int AS f, count(*)::int AS n FROM ${table} GROUP BY 1 ORDER BY 1`)).rows.map((r) => [r.f, r.n]);
const pending = async (table: string) =>
  (await client.query(`SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = '${table}'::regclass AND inhdetachpending`)).rows.map((r) => r.name);
const tables = async (like: string) =>
  (await client.query("SELECT relname FROM pg_class WHERE relname LIKE $1 AND relkind = 'r' ORDER BY 1", [like])).rows.map((r) => r.relname);

test('v1 then v2 of a key: v1\'s partition is dropped after the commit, v2\'s rows are all there', async () => {
  const { load } = await setUp('pr_basic');
  await load(101);
  await load(102, [101], 250);
  expect(await partitionsOf(client, 'pr_basic')).toEqual(["pr_basic__f102 FOR VALUES IN ('102')"]);
  expect(await byFile('pr_basic')).toEqual([[102, 250]]);
  expect(await tables('pr_basic__f%')).toEqual(['pr_basic__f102']);
});

/** Opens a REPEATABLE READ transaction that has read the table; returns a poller that counts its rows every 50 ms and times each read. */
async function openReader(table: string) {
  await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  const first = (await reader.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  let stop = false;
  let slowest = 0;
  const counts = new Set<number>();
  const polling = (async () => {
    while (!stop) {
      const t = Date.now();
      counts.add((await reader.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);
      slowest = Math.max(slowest, Date.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    first,
    async end() {
      stop = true;
      await polling;
      await reader.query('COMMIT');
      return { counts: [...counts], slowest };
    },
  };
}

test('a long REPEATABLE READ reader is never blocked; the sweep gives up after its bound and the next one drops the partition', async () => {
  const { load } = await setUp('pr_reader');
  await load(201);
  await load(202, [201]);
  await load(203);
  await retire('pr_reader', 203);
  let r: Awaited<ReturnType<typeof openReader>> | undefined;
  const started = Date.now();
  await load(204, [], 300, async () => {
    r = await openReader('pr_reader');
  });
  expect(Date.now() - started).toBeLessThan(10_000);
  // The detach waited for the reader, then stopped at its bound: left pending for the next sweep.
  expect(await pending('pr_reader')).toEqual(['pr_reader__f203']);
  const seen = await r!.end();
  expect(seen.counts).toEqual([r!.first]);
  expect(seen.slowest).toBeLessThan(1000);
  await load(205);
  expect((await partitionsOf(client, 'pr_reader')).map((p) => p.split(' ')[0])).toEqual(['pr_reader__f202', 'pr_reader__f204', 'pr_reader__f205']);
  expect(await byFile('pr_reader')).toEqual([[202, 300], [204, 300], [205, 300]]);
  expect(await tables('pr_reader__f203')).toEqual([]);
}, 60_000);

test('a sweep killed while its detach waits leaves the partition detach pending; the next load finalizes and drops it', async () => {
  const { config, load } = await setUp('pr_kill');
  await load(301);
  await client.query("INSERT INTO file_metadata VALUES (302, 'succeeded')");
  const r = await openReader('pr_kill');
  // The replacing version, committed while the reader is open; its sweep is run by hand so that it can be killed.
  await client.query('BEGIN');
  await client.query('DELETE FROM pr_kill WHERE _file_id = 301');
  await client.query("UPDATE file_metadata SET status = 'replaced' WHERE id = 301");
  await client.query('COMMIT');
  const sweeper = new Client({ connectionString: db.url });
  sweeper.on('error', () => undefined);
  await sweeper.connect();
  const pid = (await sweeper.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const warnings: string[] = [];
  const sweep = prunePartitions(sweeper, config, { waitMs: 60_000, log: { ...silentLogger, warn: (m) => warnings.push(m) } });
  for (let i = 0; i < 200; i++) {
    const w = await client.query("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%CONCURRENTLY%'", [pid]);
    if (w.rows[0]?.wait_event_type === 'Lock') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  await client.query('SELECT pg_terminate_backend($1)', [pid]);
  expect(await sweep).toEqual([]);
  expect(warnings.length).toBeGreaterThan(0);
  await sweeper.end().catch(() => undefined);
  expect(await pending('pr_kill')).toEqual(['pr_kill__f301']);
  const seen = await r.end();
  expect(seen.counts).toEqual([r.first]);
  await load(303);
  expect(await pending('pr_kill')).toEqual([]);
  expect(await tables('pr_kill__f301')).toEqual([]);
  expect(await byFile('pr_kill')).toEqual([[303, 300]]);
}, 60_000);

test('a partition detached but not dropped (a crash between the two) is dropped by the next sweep', async () => {
  const { config, load } = await setUp('pr_detached');
  await load(401);
  await load(402);
  await retire('pr_detached', 401);
  await client.query('ALTER TABLE pr_detached DETACH PARTITION pr_detached__f401');
  expect(await prunePartitions(client, config, { log: silentLogger })).toEqual(['pr_detached__f401']);
  expect(await tables('pr_detached__f%')).toEqual(['pr_detached__f402']);
});

test('one sweep drops at most maxPerSweep partitions; the next takes the rest', async () => {
  const { config, load } = await setUp('pr_cap');
  for (const id of [901, 902, 903]) await load(id);
  for (const id of [901, 902]) await retire('pr_cap', id);
  expect(await prunePartitions(client, config, { log: silentLogger, maxPerSweep: 1 })).toEqual(['pr_cap__f901']);
  expect(await prunePartitions(client, config, { log: silentLogger, maxPerSweep: 1 })).toEqual(['pr_cap__f902']);
  expect(await tables('pr_cap__f%')).toEqual(['pr_cap__f903']);
});

test('while another load writes the table in its transaction the detach is not started (it would wait on that load\'s ATTACH); the next sweep drops', async () => {
  const { config, load } = await setUp('pr_busy');
  await load(801);
  await load(802);
  await retire('pr_busy', 801);
  await reader.query('BEGIN');
  await reader.query('DELETE FROM pr_busy WHERE _file_id = 0');
  const started = Date.now();
  expect(await prunePartitions(client, config, { log: silentLogger })).toEqual([]);
  expect(Date.now() - started).toBeLessThan(1000);
  await reader.query('COMMIT');
  expect(await prunePartitions(client, config, { log: silentLogger })).toEqual(['pr_busy__f801']);
});

/** A new connection, closed by the returned function. */
async function connect(): Promise<[Client, () => Promise<void>]> {
  const c = new Client({ connectionString: db.url });
  c.on('error', () => undefined);
  await c.connect();
  return [c, () => c.end().catch(() => undefined)];
}

/** Polls `watch` until `pid`'s wait matches `waitEvent` (e.g. Lock/virtualxid, Lock/advisory); returns whether it did. */
async function waitsOn(watch: Client, pid: number, type: string, event: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const w = await watch.query('SELECT wait_event_type AS t, wait_event AS e FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (w.rows[0]?.t === type && w.rows[0]?.e === event) return true;
    await new Promise((res) => setTimeout(res, 25));
  }
  return false;
}

test.each([['the reader ends', true], ['the sweep runs out of time', false]])(
  'a load replacing a version while a sweep\'s detach waits for a reader waits for that detach holding no lock on the table, then goes first (%s): no deadlock',
  async (_, readerEnds) => {
    const table = `pr_order_${readerEnds ? 'a' : 'b'}`;
    const { config, load } = await setUp(table);
    const base = readerEnds ? 1000 : 1100;
    await load(base + 1);
    await load(base + 2);
    await retire(table, base + 1);
    const r = await openReader(table);
    const [sweeper, closeSweeper] = await connect();
    const [watch, closeWatch] = await connect();
    const sweeperPid = (await sweeper.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const loaderPid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const sweep = prunePartitions(sweeper, config, { waitMs: readerEnds ? 30_000 : 2500, log: silentLogger });
    expect(await waitsOn(watch, sweeperPid, 'Lock', 'virtualxid')).toBe(true);
    // The next version of the key, replacing base + 2 (its claim transaction DELETEs those rows and ATTACHes its own partition).
    const loading = load(base + 3, [base + 2]);
    expect(await waitsOn(watch, loaderPid, 'Lock', 'advisory')).toBe(true);
    // Past deadlock_timeout (1 s): PostgreSQL would have found a cycle by now if there were one.
    await new Promise((res) => setTimeout(res, 1500));
    expect((await watch.query("SELECT count(*)::int AS n FROM pg_locks WHERE pid = $1 AND locktype = 'relation' AND relation = $2::regclass", [loaderPid, table])).rows[0].n).toBe(0);
    if (readerEnds) await r.end();
    // Out of time, the detach is left pending for the next sweep.
    expect(await sweep).toEqual(readerEnds ? [`${table}__f${base + 1}`] : []);
    if (!readerEnds) await r.end();
    await loading;
    // The load committed; its own sweep, the reader gone, dropped what was left.
    expect(await byFile(table)).toEqual([[base + 3, 300]]);
    expect(await tables(`${table}__f%`)).toEqual([`${table}__f${base + 3}`]);
    await Promise.all([closeSweeper(), closeWatch()]);
  }, 60_000);

test('a sweep does not start while a load holds the table in its transaction, even before the load locks the table', async () => {
  const { config, load } = await setUp('pr_held');
  await load(1201);
  await load(1202);
  await retire('pr_held', 1201);
  const [other, close] = await connect();
  await other.query('BEGIN');
  await holdTableForLoad(other, config);
  const started = Date.now();
  expect(await prunePartitions(client, config, { log: silentLogger })).toEqual([]);
  expect(Date.now() - started).toBeLessThan(1000);
  await other.query('COMMIT');
  expect(await prunePartitions(client, config, { log: silentLogger })).toEqual(['pr_held__f1201']);
  await close();
});

test('within the time the host leaves: under 1 s no sweep; with a reader holding the detach, the sweep ends within the time left, not its per-wait bound', async () => {
  const { config, load } = await setUp('pr_time');
  await load(1301);
  await load(1302);
  await retire('pr_time', 1301);
  expect(await prunePartitions(client, config, { log: silentLogger, timeLeftMs: 900 })).toEqual([]);
  expect(await tables('pr_time__f%')).toEqual(['pr_time__f1301', 'pr_time__f1302']);
  const r = await openReader('pr_time');
  try {
    const started = Date.now();
    expect(await prunePartitions(client, config, { log: silentLogger, waitMs: 60_000, timeLeftMs: 3000 })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(3000);
    // It did start: the detach waited for the reader, then was left pending.
    expect(await pending('pr_time')).toEqual(['pr_time__f1301']);
  } finally {
    await r.end();
  }
  expect(await prunePartitions(client, config, { log: silentLogger, timeLeftMs: 3000 })).toEqual(['pr_time__f1301']);
}, 30_000);

test('a partition that has rows, or belongs to a version not replaced, is never dropped', async () => {
  const { load } = await setUp('pr_rows');
  await load(501);
  await load(502);
  // Marked replaced but its rows are still there (say, written back by hand): kept, rows and all.
  await client.query("UPDATE file_metadata SET status = 'replaced' WHERE id = 501");
  // Empty but still the loaded version: kept.
  await client.query('DELETE FROM pr_rows WHERE _file_id = 502');
  await load(503);
  expect((await partitionsOf(client, 'pr_rows')).map((p) => p.split(' ')[0])).toEqual(['pr_rows__f501', 'pr_rows__f502', 'pr_rows__f503']);
  expect(await byFile('pr_rows')).toEqual([[501, 300], [503, 300]]);
});

test('APPEND drops nothing; nor does a table with a DEFAULT partition (DETACH CONCURRENTLY is refused there)', async () => {
  const append = await setUp('pr_append', { previousVersions: 'APPEND' });
  await append.load(601);
  await append.load(602, [601]);
  await retire('pr_append', 601);
  await append.load(603);
  expect((await partitionsOf(client, 'pr_append')).map((p) => p.split(' ')[0])).toEqual(['pr_append__f601', 'pr_append__f602', 'pr_append__f603']);

  const withDefault = await setUp('pr_default');
  await client.query('CREATE TABLE pr_default_rest PARTITION OF pr_default DEFAULT');
  await withDefault.load(701);
  await withDefault.load(702, [701]);
  expect((await partitionsOf(client, 'pr_default')).map((p) => p.split(' ')[0])).toEqual(['pr_default__f701', 'pr_default__f702', 'pr_default_rest']);
});

describe('through the processor', () => {
  let aws: TestAws;
  let pf: Awaited<ReturnType<typeof createTestDatabase>>;
  let pfClient: Client;
  beforeAll(async () => {
    aws = await createAws({ versioned: true });
    pf = await createTestDatabase('prunepf');
    pfClient = new Client({ connectionString: pf.url });
    await pfClient.connect();
  }, 60_000);
  afterAll(async () => {
    await pfClient.end();
    await pf.drop();
  });

  async function run(config: PostgresTableSinkConfig, versionId: string | undefined): Promise<FileOutcome> {
    const runtime = testRuntime(aws, pf.url, { PIPELINE_SINKS: JSON.stringify([config]) });
    try {
      return await processFile(new S3Source(runtime.s3, { bucket: aws.input, key: `${config.table}.csv`, versionId }), runtime);
    } finally {
      await runtime.close();
    }
  }

  test('the processor gives the sweep what the host\'s time limit leaves, less the margin kept to record a failure', async () => {
    const config = tableConfig('pr_pf_left', COLUMNS, { parallelism: 2 });
    const put = await putObject(aws.input, `${config.table}.csv`, csv(500, 'one'));
    const seen: (number | undefined)[] = [];
    for (const remainingMs of [() => 600_000, undefined]) {
      const runtime = testRuntime(aws, pf.url, { PIPELINE_SINKS: JSON.stringify([config]) });
      const sinks = runtime.sinks.map((s) => ({ ...s, afterCommit: async (_id: number, left?: number) => { seen.push(left); } }));
      try {
        await processFile(new S3Source(runtime.s3, { bucket: aws.input, key: `${config.table}.csv`, versionId: put.versionId }), { ...runtime, sinks, remainingMs, force: true });
      } finally {
        await runtime.close();
      }
    }
    expect(seen[0]).toBeGreaterThan(580_000);
    expect(seen[0]).toBeLessThanOrEqual(590_000);
    expect(seen[1]).toBeUndefined();
  }, 60_000);

  test.each([['REPLACE', 1], ['APPEND', 2]] as const)('%s: v1 then v2 of a key with parallelism 2 leaves %d partition(s)', async (mode, partitions) => {
    const config = tableConfig(`pr_pf_${mode.toLowerCase()}`, COLUMNS, { parallelism: 2, previousVersions: mode });
    const first = await putObject(aws.input, `${config.table}.csv`, csv(2000, 'one'));
    expect(await run(config, first.versionId)).toMatchObject({ status: 'succeeded', rows: 2000 });
    const second = await putObject(aws.input, `${config.table}.csv`, csv(1500, 'two'));
    expect(await run(config, second.versionId)).toMatchObject({ status: 'succeeded', rows: 1500 });
    const ids = (await fileRows(pf.url)).filter((f) => f.key === `${config.table}.csv`).map((f) => Number(f.id));
    const names = (await partitionsOf(pfClient, config.table)).map((p) => p.split(' ')[0]);
    expect(names).toEqual(ids.slice(-partitions).map((id) => `${config.table}__f${id}`));
    expect((await byFile(config.table, pfClient)).map(([, n]) => n)).toEqual(mode === 'REPLACE' ? [1500] : [2000, 1500]);
  }, 60_000);
});
