/**
 * The CLI's `run` (S3 on moto, PIPELINE_SINKS with `parallelism: 3`; FAIL_FILE
 * on a clean file, and SKIP_AND_REPORT on a file with 1% bad rows) killed
 * with SIGKILL at a random moment after its parallel load began (its staging
 * table exists) while it loads a new version of a file, up to five times
 * (until a run gets through), then run to the end. A reader polls the table the whole time:
 * every answer is one whole version. After each kill nothing of the killed
 * process holds a lock or a transaction; the last run leaves the new version
 * whole and no staging table.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { BENCH_TABLE_CONFIG, generateCsv } from '../../../bench/csv-generator';
import { createTestDatabase } from '../../support/db';
import { motoProcessEnv } from '../../support/moto';
import { bundleCli } from '../cli-bundle';
import { closeHelpers, createAws, putObject, query, runtimeEnv, TestAws } from '../helpers';

const V1_ROWS = 50_000;
/** Large enough that its parallel load lasts a while (about 22 MB). */
const V2_ROWS = 150_000;
const KILLS = 5;
const READER = 'cli-kill-reader';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
let work: string;
let main: string;
let env: Record<string, string>;
let base: Record<string, string>;

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string }> } {
  const child = spawn(process.execPath, [main, ...args], { cwd: work, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.resume();
  return { child, done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout }))) };
}

let watcher: Client;
const stagingTables = async () => (await watcher.query(
  "SELECT oid::int AS oid, relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition AND obj_description(oid, 'pg_class') LIKE 'cdk-data-pipeline: partition%'")).rows;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-par-cli-'));
  main = await bundleCli(path.join(work, 'cli', 'main.js'));
  db = await createTestDatabase('parcli');
  watcher = new Client({ connectionString: db.url, application_name: READER });
  await watcher.connect();
  aws = await createAws({ versioned: true });
  base = {
    ...runtimeEnv(aws, db.url),
    ...motoProcessEnv(),
  };
}, 120_000);

afterAll(async () => {
  await watcher?.end();
  closeHelpers();
  await db.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

test.each(['FAIL_FILE', 'SKIP_AND_REPORT'] as const)(`%s: SIGKILL at ${KILLS} random moments of a parallel load: one whole version visible throughout, the last run loads the new one whole`, async (policy) => {
  const table = policy === 'FAIL_FILE' ? 'cli_orders' : 'cli_orders_skip';
  env = { ...base, PIPELINE_SINKS: JSON.stringify([{ ...BENCH_TABLE_CONFIG, table, parallelism: 3, badRows: policy }]) };
  const badEvery = policy === 'FAIL_FILE' ? 0 : 100;
  const key = `orders/${policy}.csv`;
  const v1 = await generateCsv(path.join(work, `v1-${policy}.csv`), V1_ROWS, badEvery);
  await putObject(aws.input, key, fs.readFileSync(v1.path));
  const first = await start(['run', '--bucket', aws.input, '--key', key]).done;
  expect(first.code).toBe(0);
  const v2 = await generateCsv(path.join(work, `v2-${policy}.csv`), V2_ROWS, badEvery);
  await putObject(aws.input, key, fs.readFileSync(v2.path));

  const whole = new Set([V1_ROWS - v1.badRows, V2_ROWS - v2.badRows]);
  const bad: string[] = [];
  let reads = 0;
  let running = true;
  const reader = (async () => {
    const c = new Client({ connectionString: db.url, application_name: READER });
    await c.connect();
    try {
      while (running) {
        const r = await c.query(`SELECT _file_id, count(*)::int AS n FROM ${table} GROUP BY 1`);
        reads++;
        if (r.rows.length !== 1 || !whole.has(r.rows[0].n)) bad.push(JSON.stringify(r.rows));
      }
    } finally {
      await c.end();
    }
  })();

  try {
    let killedMidLoad = 0;
    for (let i = 0; i < KILLS; i++) {
      const run = start(['run', '--bucket', aws.input, '--key', key]);
      // Once this run's parallel load has begun (a staging table that the last kill did not leave), at a random moment of it.
      const leftover = new Set((await stagingTables()).map((t) => t.oid));
      let exited = false;
      void run.done.then(() => { exited = true; });
      while (!exited && !(await stagingTables()).some((t) => !leftover.has(t.oid))) await new Promise((r) => setTimeout(r, 5));
      if (exited) break;
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 250)));
      run.child.kill('SIGKILL');
      if ((await run.done).signal === 'SIGKILL') killedMidLoad++;
      // The server ends the killed sessions' transactions; nothing of them stays.
      const deadline = Date.now() + 20_000;
      let left: any;
      do {
        [left] = await query(db.url, `SELECT
          (SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'cdk-data-pipeline%') AS sessions,
          (SELECT count(*)::int FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.application_name <> '${READER}') AS locks,
          (SELECT count(*)::int FROM pg_prepared_xacts) AS prepared`);
        if (left.sessions === 0 && left.locks === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < deadline);
      expect(left).toEqual({ sessions: 0, locks: 0, prepared: 0 });
    }
    expect(killedMidLoad).toBeGreaterThan(0);
    const last = await start(['run', '--bucket', aws.input, '--key', key]).done;
    expect(last.code).toBe(0);
    expect(JSON.parse(last.stdout.trim().split('\n').pop()!).status).toMatch(/^(succeeded|duplicate)$/);
  } finally {
    running = false;
    await reader;
  }
  expect(bad).toEqual([]);
  expect(reads).toBeGreaterThan(20);
  const rows = await query(db.url, `SELECT count(*)::int AS n FROM ${table}`);
  expect(rows[0].n).toBe(V2_ROWS - v2.badRows);
  expect(await stagingTables()).toEqual([]);
}, 300_000);
