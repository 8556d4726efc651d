/**
 * The children of a Batch array job, as the construct runs them: `run
 * --bucket B --key K` with PIPELINE_PARTS=3 and AWS_BATCH_JOB_ARRAY_INDEX
 * 0, 1, 2 (and the containers' PIPELINE_CHECKPOINT_EVERY, which a split file
 * does not use), against S3 (moto) and one database: the last child commits
 * the object whole, with its result in the output bucket. The same job
 * definition run as a plain job (no index) loads an object whole.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BENCH_TABLE_CONFIG, generateCsv } from '../../../bench/csv-generator';
import { createTestDatabase } from '../../support/db';
import { motoProcessEnv } from '../../support/moto';
import { bundleCli } from '../cli-bundle';
import { closeHelpers, createAws, putObject, query, readText, runtimeEnv, TestAws } from '../helpers';

const ROWS = 40_000;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
let work: string;
let main: string;
let env: Record<string, string>;

function run(args: string[], extra: Record<string, string>): Promise<{ code: number | null; out: any }> {
  const child = spawn(process.execPath, [main, 'run', ...args], { cwd: work, env: { PATH: process.env.PATH ?? '', ...env, ...extra } });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.resume();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out: JSON.parse(stdout.trim().split('\n').pop() || 'null') })));
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-parts-array-'));
  main = await bundleCli(path.join(work, 'cli', 'main.js'));
  db = await createTestDatabase('partsarr');
  aws = await createAws({ versioned: true });
  env = {
    ...runtimeEnv(aws, db.url),
    PIPELINE_SINKS: JSON.stringify([{ ...BENCH_TABLE_CONFIG, table: 'array_orders', parallelism: 2 }]),
    PIPELINE_CHECKPOINT_EVERY: '5000',
    PIPELINE_PARTS: '3',
    ...motoProcessEnv(),
  };
}, 120_000);

afterAll(async () => {
  closeHelpers();
  await db.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('three array children load one object; the last commits it whole, with its result', async () => {
  const key = 'big/orders.csv';
  await putObject(aws.input, key, fs.readFileSync((await generateCsv(path.join(work, 'a.csv'), ROWS)).path));
  const runs = await Promise.all([0, 1, 2].map((i) => run(['--bucket', aws.input, '--key', key], { AWS_BATCH_JOB_ARRAY_INDEX: String(i) })));
  expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
  expect(runs.map((r) => r.out.part.index).sort()).toEqual([0, 1, 2]);
  expect(runs.filter((r) => r.out.status === 'succeeded')).toHaveLength(1);
  const [{ n }] = await query(db.url, 'SELECT count(*)::int AS n FROM array_orders');
  expect(n).toBe(ROWS);
  const result = JSON.parse(await readText(aws.output, `results/${key}.json`));
  expect(result).toMatchObject({ status: 'succeeded', rows: ROWS });
  // A child run again (Batch retries it): the object is in, nothing is loaded.
  const retried = await run(['--bucket', aws.input, '--key', key], { AWS_BATCH_JOB_ARRAY_INDEX: '1' });
  expect(retried).toMatchObject({ code: 0, out: { status: 'duplicate' } });
}, 180_000);

test('a round left incomplete (one child of three ran) keeps its parts table until a newer version of the object is loaded; that load drops it', async () => {
  const key = 'abandoned/orders.csv';
  await putObject(aws.input, key, fs.readFileSync((await generateCsv(path.join(work, 'c1.csv'), 6000)).path));
  const lone = await run(['--bucket', aws.input, '--key', key], { AWS_BATCH_JOB_ARRAY_INDEX: '0' });
  expect(lone).toMatchObject({ code: 0, out: { status: 'part-loaded', waitingFor: [1, 2] } });
  const first = lone.out.fileId;
  const partsTables = async () => (await query(db.url, "SELECT relname FROM pg_class WHERE relname LIKE 'array\\_orders\\_\\_p%' ORDER BY 1")).map((r) => r.relname);
  const records = async () => (await query(db.url, 'SELECT count(*)::int AS n FROM file_parts WHERE file_id = $1', [first]))[0].n;
  expect(await partsTables()).toEqual([`array_orders__p${first}`]);
  expect(await records()).toBe(1);
  // The other children never run. A newer version of the object arrives and loads whole.
  await new Promise((r) => setTimeout(r, 1100));
  await putObject(aws.input, key, fs.readFileSync((await generateCsv(path.join(work, 'c2.csv'), 2000)).path));
  const newer = await run(['--bucket', aws.input, '--key', key], {});
  expect(newer).toMatchObject({ code: 0, out: { status: 'succeeded', rows: 2000 } });
  expect(await partsTables()).toEqual([]);
  expect(await records()).toBe(0);
  // A child of the old round run now finds its version superseded and loads nothing.
  const late = await run(['--bucket', aws.input, '--key', key, '--version-id', lone.out.version], { AWS_BATCH_JOB_ARRAY_INDEX: '1' });
  expect(late.out.status).toBe('superseded');
  expect(await partsTables()).toEqual([]);
}, 180_000);

test('the same job definition as a plain job (no array index) loads an object whole', async () => {
  const key = 'small/orders.csv';
  await putObject(aws.input, key, fs.readFileSync((await generateCsv(path.join(work, 'b.csv'), 1000)).path));
  const plain = await run(['--bucket', aws.input, '--key', key], {});
  expect(plain).toMatchObject({ code: 0, out: { status: 'succeeded', rows: 1000 } });
  expect(plain.out.part).toBeUndefined();
}, 120_000);
