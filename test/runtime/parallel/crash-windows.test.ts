/**
 * The crash windows of a parallel load, against a PostgreSQL server of its
 * own: a child process loading a new version of a file through 3
 * connections (FAIL_FILE, and SKIP_AND_REPORT on files with 1% bad rows,
 * whose rows are checked on the way) is killed with SIGKILL at every step (staging table created,
 * a segment copied, the first worker committed, the parts committed, the partition attached, just
 * before and just after the COMMIT). After each kill the table shows the
 * earlier version whole (or, after the COMMIT, the new one whole), nothing
 * holds a lock, an open transaction or a snapshot that would hold back
 * vacuum, and no prepared transaction exists; the next run loads the new
 * version whole and leaves no staging table. A reader polls the table the
 * whole time and never sees part of a file, nor two versions at once.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { build } from 'esbuild';
import { Client } from 'pg';
import { BENCH_TABLE_CONFIG, generateCsv } from '../../../bench/csv-generator';
import { tableMigrationSql } from '../../../src/runtime/load';
import { FaultPostgres, startFaultPostgres } from '../../support/fault-postgres';

const V1_ROWS = 30_000;
const V2_ROWS = 24_000;
/** The polling reader's sessions, left out of the leftovers. */
const READER = 'crash-test-reader';
const STEPS = ['staging-created', 'segment-copied', 'worker-committed', 'parts-committed', 'attached', 'before-commit', 'after-commit'] as const;

let server: FaultPostgres;
let url: string;
let work: string;
let child: string;
/** The two versions of the file, clean and with 1% bad rows, and how many rows of each load. */
const files = {
  FAIL_FILE: { v1: '', v2: '', rows1: V1_ROWS, rows2: V2_ROWS, rejected1: 0, rejected2: 0 },
  SKIP_AND_REPORT: { v1: '', v2: '', rows1: 0, rows2: 0, rejected1: 0, rejected2: 0 },
};
let v1: string;
let v2: string;

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function start(args: string[], env: Record<string, string> = {}): { proc: ChildProcess; paused: Promise<string>; done: Promise<Run> } {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  let onPause: (step: string) => void = () => undefined;
  const paused = new Promise<string>((resolve) => { onPause = resolve; });
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    const m = /PAUSED (\S+)/.exec(stdout);
    if (m) onPause(m[1]);
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const done = new Promise<Run>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { proc, paused, done };
}

async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

async function visible(table: string): Promise<Record<string, number>> {
  const rows = await sql<{ f: string; n: number }>(`SELECT _file_id::text AS f, count(*)::int AS n FROM ${table} GROUP BY 1 ORDER BY 1`);
  return Object.fromEntries(rows.map((r) => [r.f, r.n]));
}

/** What a killed load may leave: sessions, locks, prepared transactions, snapshots (the reader's own left out). */
async function leftovers(): Promise<{ sessions: number; preparedXacts: number; locks: number; snapshots: number }> {
  const others = `SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND application_name <> '${READER}'`;
  const [r] = await sql(`SELECT
    (SELECT count(*)::int FROM (${others}) o) AS sessions,
    (SELECT count(*)::int FROM pg_prepared_xacts) AS "preparedXacts",
    (SELECT count(*)::int FROM pg_locks WHERE pid IN (${others}) AND locktype IN ('relation', 'advisory', 'transactionid')) AS locks,
    (SELECT count(*)::int FROM pg_stat_activity WHERE pid IN (${others}) AND (backend_xmin IS NOT NULL OR xact_start IS NOT NULL)) AS snapshots`);
  return r;
}

async function until<T>(what: string, check: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stagingTables(table: string): Promise<string[]> {
  return (await sql('SELECT relname FROM pg_class WHERE relkind = \'r\' AND NOT relispartition AND obj_description(oid, \'pg_class\') LIKE $1',
    [`cdk-data-pipeline: partition of "public"."${table}" %`])).map((r) => r.relname);
}

/**
 * Polls the table on its own connection until stopped; every answer must be
 * a whole version: exactly one file id, with all of its rows (or, for an
 * instant of the switch, none: see README "Parallel loads").
 */
function startReader(table: string, expected: Record<string, number>): { stop: () => Promise<{ reads: number; bad: string[]; empty: number }> } {
  let running = true;
  const bad: string[] = [];
  let reads = 0;
  let empty = 0;
  const loop = (async () => {
    const c = new Client({ connectionString: url, application_name: READER });
    await c.connect();
    try {
      while (running) {
        const r = await c.query(`SELECT _file_id::text AS f, count(*)::int AS n FROM ${table} GROUP BY 1`);
        reads++;
        if (r.rows.length === 0) empty++;
        if (r.rows.length > 1 || r.rows.some((row) => expected[row.f] !== row.n)) bad.push(JSON.stringify(r.rows));
      }
    } finally {
      await c.end();
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { reads, bad, empty };
    },
  };
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-par-crash-'));
  child = path.join(work, 'load-child.js');
  await build({
    entryPoints: [path.join(__dirname, 'load-child.ts')], bundle: true, platform: 'node', target: 'node20', external: ['pg-native'], outfile: child, logLevel: 'silent',
  });
  server = await startFaultPostgres({ maxConnections: 40 });
  url = (await server.createLogin()).url;
  v1 = (await generateCsv(path.join(work, 'v1.csv'), V1_ROWS)).path;
  v2 = (await generateCsv(path.join(work, 'v2.csv'), V2_ROWS)).path;
  Object.assign(files.FAIL_FILE, { v1, v2 });
  const bad1 = await generateCsv(path.join(work, 'v1-bad.csv'), V1_ROWS, 100);
  const bad2 = await generateCsv(path.join(work, 'v2-bad.csv'), V2_ROWS, 100);
  Object.assign(files.SKIP_AND_REPORT, {
    v1: bad1.path, v2: bad2.path, rows1: V1_ROWS - bad1.badRows, rows2: V2_ROWS - bad2.badRows, rejected1: bad1.badRows, rejected2: bad2.badRows,
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const CASES = (['FAIL_FILE', 'SKIP_AND_REPORT'] as const).flatMap((policy) => STEPS.map((step) => [policy, step] as const));

test.each(CASES)('%s, kill -9 at %s: one whole version visible, nothing left holding locks or snapshots, the rerun loads the new version whole', async (policy, step) => {
  const f = files[policy];
  const table = `crash_${policy === 'FAIL_FILE' ? '' : 'skip_'}${step.replace(/-/g, '_')}`;
  const config = { ...BENCH_TABLE_CONFIG, table, parallelism: 3, badRows: policy };
  for (const s of tableMigrationSql(config)) await sql(s);
  const reader = startReader(table, { 1: f.rows1, 2: f.rows2 });
  try {
    const first = await start([url, f.v1, '1', JSON.stringify(config), '[]']).done;
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject({ rowsLoaded: f.rows1, rowsRejected: f.rejected1 });

    const run = start([url, f.v2, '2', JSON.stringify(config), '[1]', step]);
    expect(await Promise.race([run.paused, run.done.then((r) => `exited: ${r.stderr}`)])).toBe(step);
    run.proc.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');

    expect(await visible(table)).toEqual(step === 'after-commit' ? { 2: f.rows2 } : { 1: f.rows1 });
    // The server notices the dead connections and ends their transactions.
    await until('the killed sessions to end', leftovers, (l) => l.sessions === 0);
    expect(await leftovers()).toEqual({ sessions: 0, preparedXacts: 0, locks: 0, snapshots: 0 });
    // A killed load leaves at most its staging table, not part of the table.
    expect(await stagingTables(table)).toEqual(step === 'after-commit' ? [] : [`${table}__f2`]);

    if (step !== 'after-commit') {
      const rerun = await start([url, f.v2, '2', JSON.stringify(config), '[1]']).done;
      expect(rerun.stderr).toBe('');
      expect(JSON.parse(rerun.stdout)).toMatchObject({ rowsLoaded: f.rows2, rowsRejected: f.rejected2 });
    }
    expect(await visible(table)).toEqual({ 2: f.rows2 });
    expect(await stagingTables(table)).toEqual([]);
    expect(await leftovers()).toMatchObject({ preparedXacts: 0, locks: 0, snapshots: 0 });
  } finally {
    const seen = await reader.stop();
    expect(seen.bad).toEqual([]);
    expect(seen.reads).toBeGreaterThan(10);
  }
}, 180_000);

describe('sessions of another role, whose activity the loading role may not see', () => {
  let other: Client;
  const config = { ...BENCH_TABLE_CONFIG, table: 'other_role', parallelism: 3 };

  beforeAll(async () => {
    for (const s of tableMigrationSql(config)) await sql(s);
    const first = await start([url, v1, '1', JSON.stringify(config), '[]']).done;
    expect(first.stderr).toBe('');
    // A second role, connected to the same database (PUBLIC may connect).
    const login = await server.createLogin();
    const into = new URL(login.url);
    into.pathname = new URL(url).pathname;
    other = new Client({ connectionString: into.toString() });
    await other.connect();
    const [seen] = await sql('SELECT state, backend_xmin FROM pg_stat_activity WHERE usename = $1', [login.user]);
    // What makes this case: the loading role sees the session but not what it does.
    expect(seen).toEqual({ state: null, backend_xmin: null });
  }, 60_000);
  afterAll(async () => {
    await other.end();
  });

  test('idle: not waited for, the file loads in parallel', async () => {
    const run = await start([url, v2, '2', JSON.stringify(config), '[1]'], { SNAPSHOT_WAIT_MS: '60000' }).done;
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ rowsLoaded: V2_ROWS, rowsRejected: 0 });
    expect(await visible('other_role')).toEqual({ 2: V2_ROWS });
  }, 60_000);

  test('in a transaction: waited for; past the wait the file loads through one connection, whole, saying why', async () => {
    await other.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await other.query('SELECT 1');
    try {
      const run = await start([url, v1, '3', JSON.stringify(config), '[2]'], { SNAPSHOT_WAIT_MS: '500' }).done;
      expect(JSON.parse(run.stdout)).toEqual({ rowsLoaded: V1_ROWS, rowsRejected: 0 });
      const warning = JSON.parse(run.stderr.trim());
      expect(warning.message).toMatch(/^loading the file through one connection: transactions that may hold a snapshot/);
      expect(warning.blocking).toEqual([{ pid: expect.any(Number), application: '', visible: false }]);
    } finally {
      await other.query('COMMIT');
    }
    expect(await visible('other_role')).toEqual({ 3: V1_ROWS });
    expect(await stagingTables('other_role')).toEqual([]);
  }, 60_000);
});
