/**
 * Parallel loads (`parallelism` > 1) against PostgreSQL: the table holds
 * exactly what a one-connection load of the same file stores, bad rows are
 * reported at the same line, reprocessing replaces, and the paths that
 * cannot be shared between connections still load the file into its
 * partition through one.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { Client, PoolClient } from 'pg';
import { createTable as createTableIn, loadFile, partitionsOf, stagingTablesIn } from './helpers';
import { BENCH_TABLE_CONFIG, generateCsv } from '../../../bench/csv-generator';
import type { FileContext, SinkOutcome } from '../../../src/runtime/contract/sink-api';
import { createPostgresTableSink, tableMigrationSql } from '../../../src/runtime/load';
import type { ParallelLoadOptions } from '../../../src/runtime/load/parallel/parallel-copy';
import { createStagingTable, lockStagingTable, sweepStagingTables } from '../../../src/runtime/load/parallel/partitions';
import type { PostgresTableSinkConfig } from '../../../src/shared/sink-config';
import { createTestDatabase } from '../../support/db';
import { chunked, COLUMNS, errorOf, tableConfig } from '../load/helpers';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: Client;
let work: string;
let big: string;

const BIG_ROWS = 20_000;
/** Small segments, so that even small files are split between the connections. */
const SMALL: ParallelLoadOptions = { segmentBytes: 4096 };
const benchColumns = BENCH_TABLE_CONFIG.columns.map((c) => c.name).join(', ');

beforeAll(async () => {
  db = await createTestDatabase('par');
  client = new Client({ connectionString: db.url });
  await client.connect();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-par-'));
  big = (await generateCsv(path.join(work, 'big.csv'), BIG_ROWS)).path;
}, 120_000);

afterAll(async () => {
  await client.end();
  await db.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

const createTable = (config: PostgresTableSinkConfig) => createTableIn(client, config);
const load = (
  config: PostgresTableSinkConfig, open: () => Promise<Readable>, file: Partial<FileContext> = {}, options: ParallelLoadOptions = SMALL,
) => loadFile(client, config, open, file, options);

/** In 500-byte reads, as a file or S3 stream delivers it (the chunker cuts segments between reads). */
const text = (s: string) => chunked(s, 500);
const fromFile = (p: string) => async () => fs.createReadStream(p, { highWaterMark: 1000 });

async function contents(table: string): Promise<{ n: number; md5: string }> {
  const r = await client.query(`SELECT count(*)::int AS n, md5(string_agg(row(${benchColumns})::text, E'\\n' ORDER BY id)) AS md5 FROM ${table}`);
  return r.rows[0];
}

const partitions = (table: string) => partitionsOf(client, table);
const stagingTables = () => stagingTablesIn(client);

test('the generated file (quoted newlines, commas, quotes) through 3 connections: the same rows as one connection, in one partition', async () => {
  const one = { ...BENCH_TABLE_CONFIG, table: 'par_one' };
  const par = { ...BENCH_TABLE_CONFIG, table: 'par_three', parallelism: 3 };
  await createTable(one);
  await createTable(par);
  expect(await load(one, fromFile(big))).toEqual({ rowsLoaded: BIG_ROWS, rowsRejected: 0 });
  let steps: string[] = [];
  const outcome = await load(par, fromFile(big), {}, { segmentBytes: 64 * 1024, onStep: (s) => { steps.push(s); } });
  expect(outcome).toEqual({ rowsLoaded: BIG_ROWS, rowsRejected: 0 });
  expect(steps).toEqual(['staging-created', 'segment-copied', 'worker-committed', 'parts-committed', 'attached']);
  expect(await contents('par_three')).toEqual(await contents('par_one'));
  expect(await partitions('par_three')).toEqual(["par_three__f1 FOR VALUES IN ('1')"]);
  expect(await stagingTables()).toEqual([]);
  steps = [];
});

test('segments are split only outside quotes: a quoted field full of line breaks spans a segment edge', async () => {
  const config = tableConfig('par_quoted', COLUMNS, { parallelism: 2 });
  await createTable(config);
  const long = `"${'line\n'.repeat(2000)}"`;
  const csv = `id,name\n1,a\n2,${long}\n3,"x\r\ny"\n4,b\n`;
  expect(await load(config, text(csv), {}, { segmentBytes: 1000 })).toEqual({ rowsLoaded: 4, rowsRejected: 0 });
  const r = await client.query('SELECT id, length(name) AS len FROM par_quoted ORDER BY id');
  expect(r.rows).toEqual([{ id: 1, len: 1 }, { id: 2, len: 10000 }, { id: 3, len: 4 }, { id: 4, len: 1 }]);
});

const rowsCsv = (n: number, bad: Record<number, string> = {}, eol = '\n') =>
  `id,name,amount\n${Array.from({ length: n }, (_, i) => bad[i + 1] ?? `${i + 1},"name ${i + 1}\nsecond line",${i}.50`).join(eol)}${eol}`;

test.each([
  ['a bad integer late in the file', { 700: 'x700,n,1' }],
  ['two bad rows: the earlier one is reported, whichever connection meets it first', { 300: '300,n,notanumber', 900: 'x,n,1' }],
  ['a row with a missing column', { 450: '450' }],
  ['an unterminated quote in the last record', { 1000: '1000,"never closed,1' }],
])('%s: the same error, line and column as the one-connection load, and nothing loaded', async (_name, bad) => {
  const csv = rowsCsv(1000, bad);
  const one = tableConfig('par_err_one', COLUMNS);
  const par = tableConfig('par_err_par', COLUMNS, { parallelism: 4 });
  await createTable(one);
  await createTable(par);
  const expected = await errorOf(load(one, text(csv)));
  const steps: string[] = [];
  const actual = await errorOf(load(par, text(csv), {}, { ...SMALL, onStep: (s) => { steps.push(s); } }));
  // Split between the connections, and stopped before anything was committed.
  expect(steps).toEqual(['staging-created', 'segment-copied']);
  expect(expected.name).toBe('InputError');
  expect(actual.message).toBe(expected.message);
  expect(actual.message).toMatch(/line \d+/);
  expect((await client.query('SELECT count(*)::int AS n FROM par_err_par')).rows[0].n).toBe(0);
  expect(await partitions('par_err_par')).toEqual([]);
  expect(await stagingTables()).toEqual([]);
});

test.each([
  ['blank lines in the middle', rowsCsv(300).replace('\n100,', '\n\n\n100,')],
  ['a line that is exactly \\.', rowsCsv(300).replace('\n150,"name 150', '\n\\.\n150,"name 150')],
  ['CRLF line ends with a segment starting on LF', rowsCsv(200, {}, '\r\n').replace(/\r\n(1[5-9]\d,)/g, '\n$1')],
  ['CR line ends', rowsCsv(300, {}, '\r')],
])('%s: the parallel table ends as the one-connection table (loaded, or refused the same way)', async (_name, csv) => {
  const one = tableConfig('par_alt_one', COLUMNS);
  const par = tableConfig('par_alt_par', COLUMNS, { parallelism: 3 });
  await createTable(one);
  await createTable(par);
  const a = await load(one, text(csv)).catch((e) => e.message);
  const b = await load(par, text(csv)).catch((e) => e.message);
  expect(b).toEqual(a);
  const q = 'SELECT id, name, amount FROM %s ORDER BY id';
  expect((await client.query(q.replace('%s', 'par_alt_par'))).rows).toEqual((await client.query(q.replace('%s', 'par_alt_one'))).rows);
  expect(await stagingTables()).toEqual([]);
});

test('a new version replaces the earlier one (its partition emptied in the same transaction); APPEND keeps both; the same version again replaces itself', async () => {
  const config = tableConfig('par_versions', COLUMNS, { parallelism: 2 });
  await createTable(config);
  await load(config, text(rowsCsv(500)), { fileId: 1 });
  await load(config, text(rowsCsv(400)), { fileId: 2, earlierFileIds: [1] });
  const byFile = async () => (await client.query('SELECT _file_id::int AS f, count(*)::int AS n FROM par_versions GROUP BY 1 ORDER BY 1')).rows;
  expect(await byFile()).toEqual([{ f: 2, n: 400 }]);
  // The same version loaded again (forced): its partition is in already, so it reloads in place.
  expect(await load(config, text(rowsCsv(450)), { fileId: 2, earlierFileIds: [1] })).toEqual({ rowsLoaded: 450, rowsRejected: 0 });
  expect(await byFile()).toEqual([{ f: 2, n: 450 }]);
  const append = { ...config, previousVersions: 'APPEND' as const };
  await load(append, text(rowsCsv(100)), { fileId: 3, earlierFileIds: [2] });
  expect(await byFile()).toEqual([{ f: 2, n: 450 }, { f: 3, n: 100 }]);
  expect(await partitions('par_versions')).toEqual([
    "par_versions__f1 FOR VALUES IN ('1')", "par_versions__f2 FOR VALUES IN ('2')", "par_versions__f3 FOR VALUES IN ('3')",
  ]);
});

test('SKIP_AND_REPORT and extra columns (split too, see checked-parallel.test.ts), small files and checkpointed chunks (one connection): each file in its own partition', async () => {
  const skip = tableConfig('par_skip', COLUMNS, { parallelism: 2, badRows: 'SKIP_AND_REPORT' });
  await createTable(skip);
  const out = await load(skip, text(rowsCsv(300, { 10: 'x,n,1' })), { fileId: 7 });
  expect(out).toMatchObject({ rowsLoaded: 299, rowsRejected: 1 });
  expect(await partitions('par_skip')).toEqual(["par_skip__f7 FOR VALUES IN ('7')"]);

  const extra = tableConfig('par_extra', COLUMNS, { parallelism: 2 });
  await createTable(extra);
  expect(await load(extra, text('id,name,unknown\n1,a,z\n2,b,z\n'), { fileId: 8 })).toEqual({ rowsLoaded: 2, rowsRejected: 0 });
  expect(await load(extra, text('id,name\n1,a\n'), { fileId: 9 }, {})).toEqual({ rowsLoaded: 1, rowsRejected: 0 });
  expect(await partitions('par_extra')).toEqual(["par_extra__f8 FOR VALUES IN ('8')", "par_extra__f9 FOR VALUES IN ('9')"]);

  const chunks = tableConfig('par_chunks', COLUMNS, { parallelism: 2 });
  await createTable(chunks);
  await load(chunks, text('id,name\n1,a\n2,b\n'), { fileId: 5, chunk: { firstLine: 2, first: true, nextLine: 4, last: false } });
  await load(chunks, text('id,name\n3,c\n'), { fileId: 5, chunk: { firstLine: 4, first: false, nextLine: 5, last: true } });
  expect((await client.query('SELECT id FROM par_chunks ORDER BY id')).rows.map((r) => r.id)).toEqual([1, 2, 3]);
  expect(await partitions('par_chunks')).toEqual(["par_chunks__f5 FOR VALUES IN ('5')"]);
});

test('a table created before parallelism was set (not partitioned) keeps loading through one connection', async () => {
  const plain = tableConfig('par_plain', COLUMNS);
  await createTable(plain);
  const now = { ...plain, parallelism: 4 };
  for (const sql of tableMigrationSql(now)) await client.query(sql);
  expect(await load(now, text(rowsCsv(200)))).toEqual({ rowsLoaded: 200, rowsRejected: 0 });
  expect((await client.query("SELECT relkind FROM pg_class WHERE relname = 'par_plain'")).rows).toEqual([{ relkind: 'r' }]);
});

test('a table that happens to have the partition\'s name but is not the loader\'s is never touched: the load fails naming it', async () => {
  const config = tableConfig('par_foreign', COLUMNS, { parallelism: 2 });
  await createTable(config);
  await client.query('CREATE TABLE par_foreign__f1 (x int)');
  const e = await errorOf(load(config, text(rowsCsv(300))));
  expect(e.message).toMatch(/table "public"."par_foreign__f1" exists but is not the loader's partition of "public"."par_foreign" for file 1/);
  expect((await client.query("SELECT count(*)::int AS n FROM pg_class WHERE relname = 'par_foreign__f1'")).rows[0].n).toBe(1);
});

test('the sweep drops staging tables that killed loads left, keeps one a live load holds, and never touches other tables', async () => {
  const config = tableConfig('par_sweep', COLUMNS, { parallelism: 2 });
  await createTable(config);
  const other = new Client({ connectionString: db.url });
  await other.connect();
  try {
    // Two dead loads' staging tables (files 21, 22), one a live load still holds (23), and a look-alike without the marker.
    for (const id of [21, 22, 23]) await createStagingTable(client, config, id);
    await lockStagingTable(other, config, 23);
    await client.query('CREATE TABLE par_sweep__f24 (x int)');
    expect(await sweepStagingTables(client, config)).toEqual(['par_sweep__f21', 'par_sweep__f22']);
    // The next parallel load of the table sweeps too.
    await createStagingTable(client, config, 25);
    await load(config, text(rowsCsv(300)), { fileId: 26 });
    const left = await client.query("SELECT relname FROM pg_class WHERE relname LIKE 'par_sweep__f%' AND relkind = 'r' ORDER BY 1");
    expect(left.rows.map((r) => r.relname)).toEqual(['par_sweep__f23', 'par_sweep__f24', 'par_sweep__f26']);
  } finally {
    await other.end();
  }
  // The lock went with its session: now the sweep takes it.
  expect(await sweepStagingTables(client, config)).toEqual(['par_sweep__f23']);
});

describe('a REPEATABLE READ snapshot taken while the workers commit', () => {
  const config = tableConfig('par_rr', COLUMNS, { parallelism: 3 });
  const count = async (c: Client) => (await c.query('SELECT _file_id::int AS f, count(*)::int AS n FROM par_rr GROUP BY 1 ORDER BY 1')).rows;
  let reader: Client;

  beforeEach(async () => {
    await createTable(config);
    await load(config, text(rowsCsv(600)), { fileId: 1 });
    reader = new Client({ connectionString: db.url });
    await reader.connect();
  });
  afterEach(async () => {
    await reader.end();
  });

  /** Loads v2 (400 rows) replacing v1; the reader takes its snapshot after the first worker committed. */
  function loadV2(options: ParallelLoadOptions): { done: Promise<SinkOutcome>; finished: () => boolean } {
    let finished = false;
    const done = load(config, text(rowsCsv(400)), { fileId: 2, earlierFileIds: [1] }, {
      ...SMALL,
      ...options,
      onStep: async (step) => {
        if (step === 'worker-committed') await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1');
      },
    }).finally(() => { finished = true; });
    return { done, finished: () => finished };
  }

  test('the load waits for it to end before attaching: the reader sees the earlier version whole', async () => {
    const v2 = loadV2({});
    await new Promise((r) => setTimeout(r, 700));
    expect(v2.finished()).toBe(false);
    expect(await count(reader)).toEqual([{ f: 1, n: 600 }]);
    await reader.query('COMMIT');
    expect(await v2.done).toEqual({ rowsLoaded: 400, rowsRejected: 0 });
    expect(await count(reader)).toEqual([{ f: 2, n: 400 }]);
  });

  test('if it stays open past snapshotWaitMs, the file loads through one connection, and the reader still sees one whole version', async () => {
    const warnings: string[] = [];
    const log = { info: () => undefined, error: () => undefined, warn: (m: string) => { warnings.push(m); } };
    const v2 = loadV2({ snapshotWaitMs: 300, log });
    expect(await v2.done).toEqual({ rowsLoaded: 400, rowsRejected: 0 });
    expect(warnings).toEqual([expect.stringMatching(/^loading the file through one connection: transactions that may hold a snapshot/)]);
    // Its snapshot predates the commit: the earlier version, whole, even though it first reads the table now.
    expect(await count(reader)).toEqual([{ f: 1, n: 600 }]);
    await reader.query('COMMIT');
    expect(await count(reader)).toEqual([{ f: 2, n: 400 }]);
    expect(await stagingTables()).toEqual([]);
  });
});

test('two files into the same table at once, each through 2 connections: both load whole (the second ATTACH waits for the first COMMIT)', async () => {
  const config = tableConfig('par_two', COLUMNS, { parallelism: 2 });
  await createTable(config);
  const second = new Client({ connectionString: db.url });
  await second.connect();
  try {
    const loadOn = async (c: Client, fileId: number, rows: number) => {
      const sink = createPostgresTableSink(config, { parallel: SMALL });
      await c.query('BEGIN');
      const out = await sink.load(c as unknown as PoolClient, { fileId, bucket: 'b', key: `k${fileId}.csv`, version: 'v1' }, text(rowsCsv(rows)));
      // Hold the transaction a little, as the processor does while it writes the backup and the result.
      await new Promise((r) => setTimeout(r, 200));
      await c.query('COMMIT');
      return out;
    };
    const [a, b] = await Promise.all([loadOn(client, 31, 700), loadOn(second, 32, 500)]);
    expect([a.rowsLoaded, b.rowsLoaded]).toEqual([700, 500]);
  } finally {
    await second.end();
  }
  expect((await client.query('SELECT _file_id::int AS f, count(*)::int AS n FROM par_two GROUP BY 1 ORDER BY 1')).rows).toEqual([{ f: 31, n: 700 }, { f: 32, n: 500 }]);
  expect(await partitions('par_two')).toEqual(["par_two__f31 FOR VALUES IN ('31')", "par_two__f32 FOR VALUES IN ('32')"]);
});
