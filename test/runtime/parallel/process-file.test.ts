/**
 * The whole processor with a parallel table sink (PIPELINE_SINKS with
 * `parallelism`), S3 on moto and PostgreSQL: the claim transaction stays the
 * coordinator (the file's partition is attached in the transaction that
 * marks it succeeded), new versions replace, a bad row fails the file with
 * the line a one-connection load names, and checkpointed loads still work.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BENCH_TABLE_CONFIG, generateCsv } from '../../../bench/csv-generator';
import { S3Source } from '../../../src/runtime/aws/s3-source';
import { FileOutcome } from '../../../src/runtime/core/outcome';
import { processFile } from '../../../src/runtime/core/process-file';
import { PostgresTableSinkConfig } from '../../../src/shared/sink-config';
import { createTestDatabase } from '../../support/db';
import { closeHelpers, createAws, fileRows, putObject, query, TestAws, testRuntime } from '../helpers';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
let work: string;
/** Over two 2 MiB segments, so that the default segment size splits it. */
const ROWS = 40_000;
let v1: Buffer;
let v2: Buffer;

beforeAll(async () => {
  db = await createTestDatabase('parpf');
  aws = await createAws({ versioned: true });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-parpf-'));
  v1 = fs.readFileSync((await generateCsv(path.join(work, 'v1.csv'), ROWS)).path);
  v2 = fs.readFileSync((await generateCsv(path.join(work, 'v2.csv'), ROWS - 1000)).path);
}, 120_000);

afterAll(async () => {
  closeHelpers();
  await db.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

async function run(config: PostgresTableSinkConfig, key: string, versionId: string | undefined, checkpointEvery?: number): Promise<FileOutcome> {
  const runtime = testRuntime(aws, db.url, { PIPELINE_SINKS: JSON.stringify([config]) });
  try {
    return await processFile(new S3Source(runtime.s3, { bucket: aws.input, key, versionId }), { ...runtime, checkpointEvery });
  } finally {
    await runtime.close();
  }
}

const byFile = async (table: string) =>
  (await query(db.url, `SELECT _file_id::int AS f, count(*)::int AS n FROM ${table} GROUP BY 1 ORDER BY 1`)).map((r) => [r.f, r.n]);

test('two versions of a key through 3 connections: each loaded whole into its partition, the second replacing the first', async () => {
  const config = { ...BENCH_TABLE_CONFIG, table: 'pf_orders', parallelism: 3 };
  const first = await putObject(aws.input, 'pf/orders.csv', v1);
  expect(await run(config, 'pf/orders.csv', first.versionId)).toMatchObject({ status: 'succeeded', rows: ROWS, rowsRejected: 0 });
  const second = await putObject(aws.input, 'pf/orders.csv', v2);
  expect(await run(config, 'pf/orders.csv', second.versionId)).toMatchObject({ status: 'succeeded', rows: ROWS - 1000 });
  const files = (await fileRows(db.url)).filter((r) => r.key === 'pf/orders.csv');
  expect(files.map((f) => f.status)).toEqual(['replaced', 'succeeded']);
  expect(await byFile('pf_orders')).toEqual([[Number(files[1].id), ROWS - 1000]]);
  // The replaced version's emptied partition is detached and dropped after the commit.
  const parts = await query(db.url, "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'pf_orders'::regclass");
  expect(parts[0].n).toBe(1);
  // A duplicate delivery of the loaded version does nothing.
  expect(await run(config, 'pf/orders.csv', second.versionId)).toMatchObject({ status: 'duplicate' });
  expect(await byFile('pf_orders')).toEqual([[Number(files[1].id), ROWS - 1000]]);
});

test('a bad row far into the file fails it with the line and column a one-connection load names, and loads nothing', async () => {
  const text = v1.toString('utf8');
  // A record near the end: its id made non-numeric.
  const at = text.lastIndexOf('\n', text.length - 20_000) + 1;
  const bad = Buffer.from(`${text.slice(0, at)}x${text.slice(at)}`);
  const one = await putObject(aws.input, 'pf/bad-one.csv', bad);
  const par = await putObject(aws.input, 'pf/bad-par.csv', bad);
  const expected = await run({ ...BENCH_TABLE_CONFIG, table: 'pf_bad_one' }, 'pf/bad-one.csv', one.versionId);
  const actual = await run({ ...BENCH_TABLE_CONFIG, table: 'pf_bad_par', parallelism: 2 }, 'pf/bad-par.csv', par.versionId);
  expect(expected).toMatchObject({ status: 'failed' });
  expect(expected.error).toMatch(/line \d+/);
  expect(actual).toMatchObject({ status: 'failed', error: expected.error });
  expect(await byFile('pf_bad_par')).toEqual([]);
});

test('with checkpointEvery the chunks load through one connection into the file\'s partition', async () => {
  const config = { ...BENCH_TABLE_CONFIG, table: 'pf_chunks', parallelism: 2 };
  const put = await putObject(aws.input, 'pf/chunks.csv', v1);
  expect(await run(config, 'pf/chunks.csv', put.versionId, 15_000)).toMatchObject({ status: 'succeeded', rows: ROWS });
  expect((await byFile('pf_chunks')).map(([, n]) => n)).toEqual([ROWS]);
});
