/**
 * The CLI killed in the middle of a checkpointed load, as a Spot reclaim or
 * an OOM kill would: `kill -9` of `process` (a local file: resumed with a
 * seek) at several points, and SIGTERM of `run` (S3: resumed with a ranged
 * GET). Every rerun ends with exactly the rows of the file: the same
 * content checksum as a one-transaction load, no row twice, none missing.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BENCH_TABLE_CONFIG, generateCsv } from '../../../bench/csv-generator';
import { createTestDatabase } from '../../support/db';
import { motoProcessEnv } from '../../support/moto';
import { bundleCli } from '../cli-bundle';
import { closeHelpers, createAws, fileRows, putObject, query, runtimeEnv, TestAws } from '../helpers';

const ROWS = 200_000;
const EVERY = 10_000;
const CHUNKS = ROWS / EVERY;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
let work: string;
let main: string;
let csvPath: string;
let reference: string;

const columns = BENCH_TABLE_CONFIG.columns.map((c) => c.name).join(', ');
const tableConfig = (table: string) => ({ ...BENCH_TABLE_CONFIG, table });

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; json?: any }

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [main, ...args], { cwd: work, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => {
    const last = stdout.trim().split('\n').pop();
    resolve({ code, signal, stdout, stderr, json: last?.startsWith('{') ? JSON.parse(last) : undefined });
  }));
  return { child, done };
}

function processArgs(table: string, extra: string[] = []): string[] {
  const configFile = path.join(work, `${table}.json`);
  fs.writeFileSync(configFile, JSON.stringify(tableConfig(table)));
  return ['process', csvPath, '--config', configFile, '--database-url', db.url, '--ssl', 'disable',
    '--output-dir', path.join(work, 'out'), '--checkpoint-every', String(EVERY), ...extra];
}

/** Content of the table in id order, hashed by PostgreSQL (every column but `_file_id`). */
async function contents(table: string): Promise<{ n: number; ids: number; md5: string }> {
  const [r] = await query(db.url,
    `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, md5(string_agg(row(${columns})::text, E'\\n' ORDER BY id)) AS md5 FROM ${table}`);
  return r as { n: number; ids: number; md5: string };
}

async function committedChunks(): Promise<number> {
  const rows = await query(db.url, 'SELECT chunks FROM file_checkpoint').catch(() => []);
  return rows.length ? Number(rows[0].chunks) : 0;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-kill-'));
  main = await bundleCli(path.join(work, 'cli', 'main.js'));
  db = await createTestDatabase('kill');
  aws = await createAws({ versioned: true });
  csvPath = (await generateCsv(path.join(work, 'orders.csv'), ROWS)).path;
  // The reference: the same file in one transaction.
  const ref = await start(processArgs('kill_reference', ['--checkpoint-every', '0'])).done;
  expect(ref.json).toMatchObject({ status: 'succeeded', rows: ROWS });
  reference = (await contents('kill_reference')).md5;
}, 300_000);

afterAll(async () => {
  closeHelpers();
  await db.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

test.each([
  ['after the first chunk', [1]],
  ['in the middle, then again near the end', [CHUNKS / 2, CHUNKS - 2]],
])('kill -9 %s: each rerun resumes from the checkpoint, and the last one ends with exactly the file', async (_name, killAt) => {
  const table = `kill_${killAt.join('_')}`;
  let resumedFrom: number | undefined;
  for (const [i, chunk] of killAt.entries()) {
    const { child, done } = start(processArgs(table, i > 0 ? [] : ['--force']));
    await until(`chunk ${chunk}`, async () => (await committedChunks()) >= chunk);
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    const [cp] = await query(db.url, 'SELECT rows_loaded, chunks FROM file_checkpoint');
    // The table holds exactly the committed chunks: nothing of the open one.
    expect((await contents(table)).n).toBe(Number(cp.rows_loaded));
    expect(Number(cp.rows_loaded)).toBe(Number(cp.chunks) * EVERY);
    if (resumedFrom !== undefined) expect(Number(cp.rows_loaded)).toBeGreaterThan(resumedFrom);
    resumedFrom = Number(cp.rows_loaded);
  }
  const rerun = await start(processArgs(table)).done;
  expect(rerun.code).toBe(0);
  expect(rerun.json).toMatchObject({ status: 'succeeded', rows: ROWS, resumedFrom });
  expect(await contents(table)).toEqual({ n: ROWS, ids: ROWS, md5: reference });
  expect(await query(db.url, 'SELECT * FROM file_checkpoint')).toEqual([]);
  // The next file of the test starts on the same file id: clear its row.
  await query(db.url, 'DELETE FROM file_metadata');
}, 300_000);

test('SIGTERM of `run` mid-file: the open chunk rolls back, exit 75 at once; the rerun resumes with a ranged GET', async () => {
  const key = 'big/orders.csv';
  await putObject(aws.input, key, fs.readFileSync(csvPath));
  const env = {
    ...runtimeEnv(aws, db.url),
    PIPELINE_SINKS: JSON.stringify([tableConfig('kill_run')]),
    PIPELINE_CHECKPOINT_EVERY: String(EVERY),
    ...motoProcessEnv(),
  };
  const { child, done } = start(['run', '--bucket', aws.input, '--key', key], env);
  await until('chunk 5', async () => (await committedChunks()) >= 5);
  const sent = Date.now();
  child.kill('SIGTERM');
  const stopped = await done;
  expect(Date.now() - sent).toBeLessThan(10_000);
  expect(stopped.code).toBe(75);
  const committed = Number((await query(db.url, 'SELECT rows_loaded FROM file_checkpoint'))[0].rows_loaded);
  expect(stopped.json).toMatchObject({ status: 'interrupted', retry: true, rowsCommitted: committed });
  expect(stopped.json.error).toMatch(new RegExp(`${committed} rows are committed up to line \\d+, and the next run resumes there`));
  expect((await contents('kill_run')).n).toBe(committed);

  const rerun = await start(['run', '--bucket', aws.input, '--key', key], env).done;
  expect(rerun.code).toBe(0);
  expect(rerun.json).toMatchObject({ status: 'succeeded', rows: ROWS, resumedFrom: committed });
  expect(await contents('kill_run')).toEqual({ n: ROWS, ids: ROWS, md5: reference });
  const [row] = (await fileRows(db.url)).filter((f) => f.key === key);
  expect(row).toMatchObject({ status: 'succeeded', resumed_from: String(committed), attempts: 2 });
}, 300_000);
