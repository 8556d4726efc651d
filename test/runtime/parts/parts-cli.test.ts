/**
 * `cdk-data-pipeline process FILE --part i/3`, three processes of the CLI
 * bundle against one database, a reader polling the table the whole time:
 * - three parts started together give exactly the table one process gives
 *   (compared row by row with a one-process load into another database);
 * - a part killed with SIGKILL in the middle of its COPY leaves nothing, and
 *   run again with the same command loads its records once;
 * - whichever part finishes last commits the file (parts run one after the
 *   other, in the orders 2-0-1 and 1-2-0: only the last says `succeeded`);
 * - a new version replaces the earlier one, `--force` reloads a version
 *   without doubling a row;
 * - a bad row fails the file at the line one process names;
 * and no answer of the reader is ever part of a file, or two versions.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { BENCH_TABLE_CONFIG, generateCsv } from '../../../bench/csv-generator';
import { createTestDatabase } from '../../support/db';
import { bundleCli } from '../cli-bundle';

const TABLE = 'parts_orders';
const READER = 'parts-reader';
const V1 = 30_000;
const V2 = 150_000;
const V3 = 60_000;
const V4 = 45_000;

type Db = Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let reference: Db;
let work: string;
let main: string;
let config: string;
/** The reference load: one process, one connection. */
let oneProcessConfig: string;
/** The same table, SKIP_AND_REPORT. */
let skipConfig: string;
/** Where the CSV is processed from: its file name is the key, so a new content there is a new version. */
let file: string;

interface Run { code: number | null; signal: NodeJS.Signals | null; out: any; stderr: string }

function start(args: string[], url = db.url, skip = false): { child: ChildProcess; done: Promise<Run> } {
  const configFile = skip ? skipConfig : url === db.url ? config : oneProcessConfig;
  const outputDir = path.join(work, url === db.url ? 'out' : 'out-one');
  const child = spawn(process.execPath, [main, 'process', file, '--database-url', url, '--ssl', 'disable', '--config', configFile, '-o', outputDir, ...args],
    { cwd: work, env: { PATH: process.env.PATH ?? '' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  return {
    child,
    done: new Promise((resolve) => child.on('close', (code, signal) => {
      let out: any;
      try { out = JSON.parse(stdout.trim().split('\n').pop() ?? ''); } catch { out = stdout; }
      resolve({ code, signal, out, stderr });
    })),
  };
}

const part = (i: number, extra: string[] = [], skip = false) => start(['--part', `${i}/3`, ...extra], db.url, skip);

async function sql<T = any>(text: string, url = db.url): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

/** The table's rows without `_file_id`, as one hash, and their count. */
async function contents(url: string): Promise<{ n: number; hash: string }> {
  const [r] = await sql(`SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t.id)) AS hash
    FROM (SELECT id, qty, price, customer, created_at, active, ship_day, note FROM ${TABLE}) t`, url);
  return r;
}

async function useVersion(rows: number, badEvery = 0): Promise<void> {
  fs.copyFileSync((await generateCsv(path.join(work, `src-${rows}-${badEvery}.csv`), rows, badEvery)).path, file);
}

/** Polls the table until stopped: each answer must be one whole version. */
/** Row counts of the whole versions the reader may see. */
const whole = new Set([V1, V2, V3, V4]);

function pollReader(): { stop: () => Promise<{ reads: number; bad: string[] }> } {
  const bad: string[] = [];
  let reads = 0;
  let running = true;
  const loop = (async () => {
    const c = new Client({ connectionString: db.url, application_name: READER });
    await c.connect();
    try {
      while (running) {
        const r = await c.query(`SELECT _file_id, count(*)::int AS n FROM ${TABLE} GROUP BY 1`);
        reads++;
        if (r.rows.length > 1 || (r.rows.length === 1 && !whole.has(r.rows[0].n))) bad.push(JSON.stringify(r.rows));
      }
    } finally {
      await c.end();
    }
  })();
  return { stop: async () => { running = false; await loop; return { reads, bad }; } };
}

async function leftovers(): Promise<{ sessions: number; locks: number }> {
  const [r] = await sql(`SELECT
    (SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
       AND backend_type = 'client backend' AND application_name <> '${READER}') AS sessions,
    (SELECT count(*)::int FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.application_name <> '${READER}' AND l.locktype <> 'virtualxid') AS locks`);
  return r;
}

let reader: ReturnType<typeof pollReader> | undefined;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-parts-cli-'));
  main = await bundleCli(path.join(work, 'cli', 'main.js'));
  [db, reference] = await Promise.all([createTestDatabase('parts'), createTestDatabase('partsref')]);
  config = path.join(work, 'orders.json');
  const { kind: _k, ...table } = BENCH_TABLE_CONFIG;
  // Without parallelism: --part creates the table partitioned by file anyway.
  fs.writeFileSync(config, JSON.stringify({ ...table, table: TABLE }));
  oneProcessConfig = path.join(work, 'one.json');
  fs.writeFileSync(oneProcessConfig, JSON.stringify({ ...table, table: TABLE }));
  skipConfig = path.join(work, 'skip.json');
  fs.writeFileSync(skipConfig, JSON.stringify({ ...table, table: TABLE, badRows: 'SKIP_AND_REPORT' }));
  file = path.join(work, 'orders.csv');
}, 120_000);

afterAll(async () => {
  await reader?.stop();
  await Promise.all([db?.drop(), reference?.drop()]);
  fs.rmSync(work, { recursive: true, force: true });
});

test('three parts started together load exactly what one process loads, in one commit', async () => {
  await useVersion(V1);
  const one = await start(['-v'], reference.url).done;
  if (one.out.status !== 'succeeded') console.log(one.stderr);
  expect(JSON.stringify(one.out)).toMatch(/"status":"succeeded"/);
  const runs = await Promise.all([0, 1, 2].map((i) => part(i).done));
  expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
  const statuses = runs.map((r) => r.out.status).sort();
  // One of them committed it; the others were loaded before the last one finished, or found it done.
  expect(statuses.filter((s) => s === 'succeeded')).toHaveLength(1);
  expect(statuses.every((s) => ['succeeded', 'part-loaded', 'duplicate', 'in-progress'].includes(s))).toBe(true);
  expect(runs.reduce((sum, r) => sum + r.out.part.rows, 0)).toBe(V1);
  expect(await contents(db.url)).toEqual(await contents(reference.url));
  const [meta] = await sql("SELECT status, rows_count::int AS rows FROM file_metadata WHERE key = 'orders.csv'");
  expect(meta).toEqual({ status: 'succeeded', rows: V1 });
  expect(await sql('SELECT * FROM file_parts')).toEqual([]);
  reader = pollReader();
}, 120_000);

test('a part killed in the middle of its COPY leaves nothing; run again, it loads its records once', async () => {
  await useVersion(V2);
  const victim = part(1);
  let copying = false;
  const exited = victim.done.then(() => { copying = false; });
  for (let i = 0; i < 2000 && !copying; i++) {
    copying = (await sql("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY%parts_orders__p%' AND state = 'active'"))[0].n > 0;
    if (!copying) await new Promise((r) => setTimeout(r, 10));
  }
  expect(copying).toBe(true);
  victim.child.kill('SIGKILL');
  await exited;
  expect((await victim.done).signal).toBe('SIGKILL');
  for (let i = 0; i < 200 && (await leftovers()).sessions > 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await leftovers()).toEqual({ sessions: 0, locks: 0 });
  expect(await sql('SELECT part FROM file_parts')).toEqual([]);
  const [{ id }] = await sql('SELECT max(id)::int AS id FROM file_metadata');
  const [staged] = await sql(`SELECT count(*)::int AS n FROM ${TABLE}__p${id}`);
  expect(staged.n).toBe(0);

  const [r0, r2] = await Promise.all([part(0).done, part(2).done]);
  expect([r0.out.status, r2.out.status]).toEqual(['part-loaded', 'part-loaded']);
  // The restarted part is the last one: it commits the file.
  const again = await part(1).done;
  expect(again.out).toMatchObject({ status: 'succeeded', rows: V2, part: { index: 1, state: 'loaded' } });
  expect(r0.out.part.rows + again.out.part.rows + r2.out.part.rows).toBe(V2);
  const [n] = await sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${TABLE}`);
  expect(n).toEqual({ n: V2, ids: V2 });
  // A part run again once the file is in: nothing loaded, nothing doubled.
  expect((await part(1).done).out.status).toBe('duplicate');
}, 180_000);

test.each([[[2, 0, 1], V3], [[1, 2, 0], V4]])('parts run one after the other (%j): the last one commits the file', async (order, want) => {
  await useVersion(want);
  const statuses: string[] = [];
  for (const i of order) {
    const run = await part(i).done;
    expect(run.code).toBe(0);
    statuses.push(run.out.status);
    if (statuses.length < 3) expect(run.out.waitingFor).toEqual([0, 1, 2].filter((p) => !order.slice(0, statuses.length).includes(p)));
  }
  expect(statuses).toEqual(['part-loaded', 'part-loaded', 'succeeded']);
  // The new version replaced the earlier one.
  const counts = await sql(`SELECT count(*)::int AS n FROM ${TABLE} GROUP BY _file_id`);
  expect(counts).toEqual([{ n: want }]);
}, 180_000);

test('--force reloads the version: its rows replaced, never doubled', async () => {
  const before = await contents(db.url);
  const [{ attempts }] = await sql("SELECT attempts FROM file_metadata WHERE key = 'orders.csv' AND status = 'succeeded'");
  const runs = await Promise.all([0, 1, 2].map((i) => part(i, ['--force']).done));
  expect(runs.filter((r) => r.out.status === 'succeeded')).toHaveLength(1);
  expect(await contents(db.url)).toEqual(before);
  const [meta] = await sql("SELECT attempts FROM file_metadata WHERE key = 'orders.csv' AND status = 'succeeded'");
  expect(meta.attempts).toBeGreaterThan(attempts);
}, 120_000);

test('a bad row fails the file at the line one process names; the table keeps the earlier version', async () => {
  const before = await contents(db.url);
  await useVersion(V3, 50_000);
  const one = await start([], reference.url).done;
  expect(one.out.status).toBe('failed');
  const runs = await Promise.all([0, 1, 2].map((i) => part(i).done));
  // The part with the bad row fails the file; a part that finishes after it may say failed too (told of the failure).
  const failed = runs.find((r) => r.out.part?.index === 1);
  expect(failed?.out.status).toBe('failed');
  expect(failed?.out.error).toBe(one.out.error);
  const [meta] = await sql("SELECT id::int, status, error FROM file_metadata WHERE key = 'orders.csv' ORDER BY id DESC LIMIT 1");
  expect(meta).toEqual({ id: expect.any(Number), status: 'failed', error: one.out.error });
  expect(await contents(db.url)).toEqual(before);
  // The other parts: loaded before the failure, or told of it; the last one out dropped the abandoned parts table.
  for (const r of runs.filter((x) => x !== failed)) expect(r.out.status).toMatch(/^(part-loaded|failed)$/);
  expect(await sql(`SELECT relname FROM pg_class WHERE relname = '${TABLE}__p${meta.id}'`)).toEqual([]);
  expect(await sql(`SELECT part FROM file_parts WHERE file_id = ${meta.id}`)).toEqual([]);
}, 120_000);

test('SKIP_AND_REPORT: the parts reject what one process rejects, at the same lines, in one rejects file', async () => {
  // Bad values, a short row, a NULL, invalid UTF-8 (no quote left open: see the next test).
  await useVersion(35_000, 7000);
  const one = await start([], reference.url, true).done;
  expect(one.out.status).toBe('succeeded');
  expect(one.out.rowsRejected).toBe(5);
  whole.add(one.out.rows);
  const runs = await Promise.all([0, 1, 2].map((i) => part(i, [], true).done));
  const committed = runs.find((r) => r.out.status === 'succeeded');
  expect(committed?.out).toMatchObject({ rows: one.out.rows, rowsRejected: one.out.rowsRejected });
  expect(runs.reduce((sum, r) => sum + r.out.part.rowsRejected, 0)).toBe(one.out.rowsRejected);
  expect(fs.readFileSync(committed!.out.rejects, 'utf8')).toBe(fs.readFileSync(one.out.rejects, 'utf8'));
  expect(await contents(db.url)).toEqual(await contents(reference.url));
}, 120_000);

test('SKIP_AND_REPORT and a quote never closed: the file fails, saying to load it without --part; the table keeps the earlier version', async () => {
  const before = await contents(db.url);
  await useVersion(70_000, 7000);
  const runs = await Promise.all([0, 1, 2].map((i) => part(i, [], true).done));
  const failed = runs.find((r) => r.out.status === 'failed');
  expect(failed?.out.error).toBe('line 38539: a quoted field opened there is never closed, so where the next records start depends on reading the file from its start; '
    + 'process the file without --part (one process loads it whole)');
  expect(runs.filter((r) => r.out.status === 'succeeded')).toEqual([]);
  expect(await contents(db.url)).toEqual(before);
}, 120_000);

test('SIGKILL of a random part at random moments, parts run again until the file is in: one whole version visible throughout', async () => {
  await useVersion(V2 + 1);
  whole.add(V2 + 1);
  let kills = 0;
  let committed = false;
  for (let round = 0; round < 8 && !committed; round++) {
    const runs = [0, 1, 2].map((i) => ({ i, ...part(i), exited: false }));
    // A random moment, at the latest when the first part exits (on a quick machine all
    // three can be done within the delay, and a round without a kill tests nothing).
    const firstExit = Promise.race(runs.map((r) => r.done.then(() => { r.exited = true; })));
    for (const r of runs) void r.done.then(() => { r.exited = true; });
    await Promise.race([firstExit, new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 1500)))]);
    const running = runs.filter((r) => !r.exited);
    // The first rounds kill one; the last ones let every part finish.
    if (running.length > 0 && round < 5) {
      running[Math.floor(Math.random() * running.length)].child.kill('SIGKILL');
      kills++;
    }
    const ended = await Promise.all(runs.map((r) => r.done));
    committed = ended.some((e) => e.out?.status === 'succeeded' || e.out?.status === 'duplicate');
    for (let i = 0; i < 200 && (await leftovers()).sessions > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await leftovers()).toEqual({ sessions: 0, locks: 0 });
  }
  expect(kills).toBeGreaterThan(0);
  expect(committed).toBe(true);
  const [n] = await sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${TABLE}`);
  expect(n).toEqual({ n: V2 + 1, ids: V2 + 1 });
  const [{ id }] = await sql("SELECT id::int FROM file_metadata WHERE key = 'orders.csv' AND status = 'succeeded'");
  expect(await sql(`SELECT part FROM file_parts WHERE file_id = ${id}`)).toEqual([]);
  expect(await sql(`SELECT relname FROM pg_class WHERE relname = '${TABLE}__p${id}'`)).toEqual([]);
}, 300_000);

test('a REPEATABLE READ snapshot taken between two part commits: the last part waits for it before attaching', async () => {
  const rows = 33_333;
  await useVersion(rows);
  whole.add(rows);
  const before = await contents(db.url);
  expect((await part(0).done).out.status).toBe('part-loaded');
  const rr = new Client({ connectionString: db.url, application_name: 'parts-rr-reader' });
  await rr.connect();
  try {
    await rr.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    // The snapshot: part 0 committed, parts 1 and 2 not yet.
    await rr.query('SELECT 1');
    expect((await part(1).done).out.status).toBe('part-loaded');
    const last = part(2);
    let finished = false;
    void last.done.then(() => { finished = true; });
    await new Promise((r) => setTimeout(r, 3000));
    expect(finished).toBe(false);
    // Not attached yet: the snapshot sees the earlier version, whole.
    const seen = await rr.query(`SELECT count(*)::int AS n FROM ${TABLE}`);
    expect(seen.rows[0].n).toBe(before.n);
    await rr.query('COMMIT');
    const done = await last.done;
    expect(done.out).toMatchObject({ status: 'succeeded', rows });
  } finally {
    await rr.end();
  }
}, 120_000);

test('the reader never saw part of a file', async () => {
  const seen = await reader!.stop();
  reader = undefined;
  expect(seen.bad).toEqual([]);
  expect(seen.reads).toBeGreaterThan(20);
});
