/**
 * `cdk-data-pipeline run`, the container entry point, run as a process with
 * the processor's environment against PostgreSQL and moto: one object, one
 * version, a dated prefix, --force, usage errors, and SIGTERM in the middle
 * of a long load.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { bundleCli } from './cli-bundle';
import { closeHelpers, createAws, fileRows, listKeys, putObject, query, readText, runtimeEnv, TestAws } from './helpers';
import { BENCH_TABLE_CONFIG, generateCsv } from '../../bench/csv-generator';
import { createTestDatabase } from '../support/db';
import { motoProcessEnv } from '../support/moto';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
let work: string;
let main: string;

const TABLE = {
  kind: 'postgresTable',
  schema: 'public',
  table: 'run_orders',
  badRows: 'FAIL_FILE',
  extraColumns: 'IGNORE',
  previousVersions: 'REPLACE',
  columns: [{ name: 'id', type: 'integer', nullable: false }, { name: 'name', type: 'text', nullable: true }],
};

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-run-'));
  main = await bundleCli(path.join(work, 'cli', 'main.js'));
  db = await createTestDatabase('run');
  aws = await createAws({ versioned: true });
});

afterAll(async () => {
  await db.drop();
  closeHelpers();
  fs.rmSync(work, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...runtimeEnv(aws, db.url),
    PIPELINE_SINKS: JSON.stringify([TABLE]),
    ...motoProcessEnv(),
    ...extra,
  };
}

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; lines: any[] }

function start(args: string[], environment: Record<string, string>): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [main, ...args], { cwd: work, env: environment });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({
    code, signal, stdout, stderr, lines: stdout.startsWith('{') ? stdout.trim().split('\n').map((l) => JSON.parse(l)) : [],
  })));
  return { child, done };
}

const run = (args: string[], environment = env()) => start(['run', ...args], environment).done;

test('--help lists both forms, the environment and the exit codes', async () => {
  const r = await run(['--help']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('cdk-data-pipeline run --bucket <bucket> --key <key>');
  expect(r.stdout).toContain('--prefix <prefix>');
  expect(r.stdout).toMatch(/75 {2}interrupted/);
  expect(r.stdout).toContain('PIPELINE_DB_SECRET_ARN');
});

test('--bucket --key: exit 0, one JSON line, the row in file_metadata and the table, the result in S3', async () => {
  const put = await putObject(aws.input, 'in/one.csv', 'id,name\n1,a\n2,b\n');
  const r = await run(['--bucket', aws.input, '--key', 'in/one.csv']);
  expect(r.code).toBe(0);
  expect(r.lines).toHaveLength(1);
  expect(r.lines[0]).toMatchObject({ status: 'succeeded', bucket: aws.input, key: 'in/one.csv', version: put.versionId, rows: 2, attempt: 1 });
  const [row] = (await fileRows(db.url)).filter((f) => f.key === 'in/one.csv');
  expect(row).toMatchObject({ status: 'succeeded', rows_count: '2', version: put.versionId });
  expect(JSON.parse(await readText(aws.output, 'results/in/one.csv.json'))).toMatchObject({ status: 'succeeded', rows: 2 });
  expect(await query(db.url, "SELECT id, name FROM run_orders WHERE name IN ('a', 'b') ORDER BY id")).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
  // Logs and metrics (Embedded Metric Format) go to stderr, as JSON lines.
  const logged = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  expect(logged).toContainEqual(expect.objectContaining({ level: 'info', message: 'file succeeded', rows: 2 }));
  expect(logged).toContainEqual(expect.objectContaining({ FilesSucceeded: 1, Rows: 2, Pipeline: 'test-pipeline' }));
});

test('--version-id reads that version, not the current one', async () => {
  const v1 = await putObject(aws.input, 'in/versioned.csv', 'id,name\n10,v1\n');
  await putObject(aws.input, 'in/versioned.csv', 'id,name\n10,v2\n11,v2\n');
  const r = await run(['--bucket', aws.input, '--key', 'in/versioned.csv', '--version-id', v1.versionId!]);
  expect(r.code).toBe(0);
  expect(r.lines[0]).toMatchObject({ status: 'succeeded', version: v1.versionId, versionKind: 'version-id', rows: 1 });
  expect(await query(db.url, 'SELECT id, name FROM run_orders WHERE id >= 10 ORDER BY id')).toEqual([{ id: 10, name: 'v1' }]);
});

test('a bad file exits 1 with status failed and the reason', async () => {
  await putObject(aws.input, 'in/bad.csv', 'id,name\nnot-a-number,a\n');
  const r = await run(['--bucket', aws.input, '--key', 'in/bad.csv']);
  expect(r.code).toBe(1);
  expect(r.lines[0]).toMatchObject({ status: 'failed', errorKind: 'input', error: expect.stringContaining('line 2') });
});

test('a duplicate exits 0; --force processes it again and replaces its rows', async () => {
  await putObject(aws.input, 'in/again.csv', 'id,name\n20,x\n21,y\n');
  expect((await run(['--bucket', aws.input, '--key', 'in/again.csv'])).code).toBe(0);
  const dup = await run(['--bucket', aws.input, '--key', 'in/again.csv']);
  expect(dup.code).toBe(0);
  expect(dup.lines[0]).toMatchObject({ status: 'duplicate', rows: 2 });
  const forced = await run(['--bucket', aws.input, '--key', 'in/again.csv', '--force']);
  expect(forced.code).toBe(0);
  expect(forced.lines[0]).toMatchObject({ status: 'succeeded', rows: 2, attempt: 2 });
  expect(await query(db.url, 'SELECT count(*)::int AS n FROM run_orders WHERE id IN (20, 21)')).toEqual([{ n: 2 }]);
});

test.each([
  [['--key', 'x.csv'], 'Missing --bucket'],
  [['--bucket', 'b'], 'Missing --key (one object) or --prefix'],
  [['--bucket', 'b', '--key', 'x.csv', '--prefix', 'p/'], '--key and --prefix'],
  [['--bucket', 'b', '--prefix', 'p/{date}/', '--date', '2026-02-30'], '--date must be a date as YYYY-MM-DD or an ISO 8601 time with a zone such as 2026-01-15T02:00:00Z, got "2026-02-30"'],
  [['--bucket', 'b', '--prefix', 'p/', '--date', '2026-01-15'], '--date is given but --prefix "p/" has no {date}'],
  [['--bucket', 'b', '--key', 'x.csv', '--date', '2026-01-15'], '--date goes with --prefix'],
  [['--bucket', 'b', '--prefix', 'p/', '--version-id', 'v'], '--version-id goes with --key'],
  [['--bucket', 'b', '--prefix', 'p/', '--sequencer', '0A'], '--sequencer goes with --key'],
  [['--bucket', 'b', '--key', 'x.csv', '--sequencer', 'xyz'], '--sequencer must be the hexadecimal sequencer of an S3 event, got "xyz"'],
  [['--bucket', 'b', '--key', 'x.csv', '--time-zone', 'UTC'], '--time-zone goes with --prefix'],
  [['--bucket', 'b', '--prefix', 'p/{date}/', '--time-zone', 'Mars/Olympus'], '--time-zone must be an IANA time zone name such as Europe/London or UTC, got "Mars/Olympus"'],
  [['--bucket', 'b', '--prefix', 'p/{date}/', '--date', '2026-01-15T02:00:00'], '--date must be a date as YYYY-MM-DD or an ISO 8601 time with a zone'],
  [['--bucket', 'b', '--key', 'x.csv', '--checkpoint-every=-5'], '--checkpoint-every must be a whole number of rows >= 0 (0: one transaction per file), got "-5"'],
  [['--bucket', 'b', '--prefix', 'p/', '--checkpoint-every', '1e3'], '--checkpoint-every must be a whole number of rows >= 0'],
  [['--bucket', 'b', '--key', 'x.csv', '--nope'], "Unknown option '--nope'"],
])('usage error %j: exit 2, the flag named, nothing processed', async (args, message) => {
  const r = await run(args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(message);
  expect(r.stderr).toContain('Usage: cdk-data-pipeline run');
});

test('a missing or bad environment variable is a usage error that names it', async () => {
  const { PIPELINE_OUTPUT_BUCKET: _o, ...noOutput } = env();
  const r = await run(['--bucket', aws.input, '--key', 'x.csv'], noOutput);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('Environment variable PIPELINE_OUTPUT_BUCKET is not set');
  const { PIPELINE_DATABASE_URL: _u, ...noDb } = env();
  expect((await run(['--bucket', aws.input, '--key', 'x.csv'], noDb)).stderr).toContain('Set PIPELINE_DB_SECRET_ARN');
  expect((await run(['--bucket', aws.input, '--prefix', 'p/{date}/'], env({ RUN_DATE: '15/01/2026' }))).stderr)
    .toContain('RUN_DATE must be a date as YYYY-MM-DD or an ISO 8601 time with a zone such as 2026-01-15T02:00:00Z, got "15/01/2026"');
  const badEvery = await run(['--bucket', aws.input, '--key', 'x.csv'], env({ PIPELINE_CHECKPOINT_EVERY: '10k' }));
  expect(badEvery.code).toBe(2);
  expect(badEvery.stderr).toContain('PIPELINE_CHECKPOINT_EVERY must be a whole number of rows >= 0 (0: one transaction per file), got "10k"');
});

test('--prefix with {date}: every .csv under that day, in key order, then a summary', async () => {
  await putObject(aws.input, 'raw/2026-01-15/a.csv', 'id,name\n30,a\n31,a\n');
  await putObject(aws.input, 'raw/2026-01-15/b.csv', 'id,name\n32,b\n');
  await putObject(aws.input, 'raw/2026-01-15/c.csv', 'id,name\nbad,c\n');
  await putObject(aws.input, 'raw/2026-01-15/readme.txt', 'not a csv');
  await putObject(aws.input, 'raw/2026-01-16/d.csv', 'id,name\n33,d\n');
  const r = await run(['--bucket', aws.input, '--prefix', 'raw/{date}/', '--date', '2026-01-15']);
  expect(r.code).toBe(1);
  expect(r.lines.slice(0, -1).map((l) => [l.key, l.status])).toEqual([
    ['raw/2026-01-15/a.csv', 'succeeded'], ['raw/2026-01-15/b.csv', 'succeeded'], ['raw/2026-01-15/c.csv', 'failed'],
  ]);
  expect(r.lines.at(-1)).toEqual({
    summary: {
      bucket: aws.input,
      prefix: 'raw/2026-01-15/',
      date: '2026-01-15',
      suffix: '.csv',
      files: 3,
      succeeded: 2,
      failed: 1,
      duplicate: 0,
      interrupted: 0,
      skipped: 0,
      notStarted: 0,
      rows: 3,
      rowsRejected: 0,
      exitCode: 1,
      report: `s3://${aws.output}/reports/2026-01-15.json`,
    },
  });
  const report = JSON.parse(await readText(aws.output, 'reports/2026-01-15.json'));
  expect(report).toMatchObject({ bucket: aws.input, prefix: 'raw/2026-01-15/', date: '2026-01-15', complete: true, counts: { files: 3, succeeded: 2, failed: 1 } });
  expect(report.files.map((f: any) => [f.key, f.status, f.rows])).toEqual([
    ['raw/2026-01-15/a.csv', 'succeeded', 2], ['raw/2026-01-15/b.csv', 'succeeded', 1], ['raw/2026-01-15/c.csv', 'failed', null],
  ]);
  // RUN_DATE is the default date; done files are duplicates, the content failure too.
  const again = await run(['--bucket', aws.input, '--prefix', 'raw/{date}/'], env({ RUN_DATE: '2026-01-15' }));
  expect(again.code).toBe(0);
  expect(again.lines.at(-1).summary).toMatchObject({ files: 3, succeeded: 0, duplicate: 3 });
  const other = await run(['--bucket', aws.input, '--prefix', 'raw/{date}/', '--date', '2026-01-16', '--suffix', '']);
  expect(other.lines.at(-1).summary).toMatchObject({ prefix: 'raw/2026-01-16/', files: 1, succeeded: 1, rows: 1, exitCode: 0 });
  expect(JSON.parse(await readText(aws.output, 'reports/2026-01-15.json')).counts).toMatchObject({ files: 3, succeeded: 0, duplicate: 3 });
  expect(await listKeys(aws.output, 'reports/')).toEqual(['reports/2026-01-15.json', 'reports/2026-01-16.json']);
  expect(await listKeys(aws.output, 'results/raw/')).toEqual([
    'results/raw/2026-01-15/a.csv.json', 'results/raw/2026-01-15/b.csv.json', 'results/raw/2026-01-15/c.csv.json', 'results/raw/2026-01-16/d.csv.json',
  ]);
});

test('--date as a scheduled time with --time-zone Europe/London reads the London day (23:30Z in July is the next day)', async () => {
  await putObject(aws.input, 'tz/2026-07-14/utc-day.csv', 'id,name\n50,utc\n');
  await putObject(aws.input, 'tz/2026-07-15/london-day.csv', 'id,name\n51,london\n');
  const r = await run(['--bucket', aws.input, '--prefix', 'tz/{date}/', '--date', '2026-07-14T23:30:00Z', '--time-zone', 'Europe/London']);
  expect(r.code).toBe(0);
  expect(r.lines.map((l) => l.key ?? 'summary')).toEqual(['tz/2026-07-15/london-day.csv', 'summary']);
  expect(r.lines[1].summary).toMatchObject({ prefix: 'tz/2026-07-15/', date: '2026-07-15', files: 1, succeeded: 1, report: `s3://${aws.output}/reports/2026-07-15.json` });
  expect(JSON.parse(await readText(aws.output, 'reports/2026-07-15.json'))).toMatchObject({
    date: '2026-07-15', scheduledTime: '2026-07-14T23:30:00.000Z', files: [{ key: 'tz/2026-07-15/london-day.csv', status: 'succeeded', rows: 1 }],
  });
  // Half an hour earlier it is still the 14th in London.
  const before = await run(['--bucket', aws.input, '--prefix', 'tz/{date}/', '--date', '2026-07-14T22:30:00Z', '--time-zone', 'Europe/London']);
  expect(before.lines.map((l) => l.key ?? 'summary')).toEqual(['tz/2026-07-14/utc-day.csv', 'summary']);
});

async function activity(where: string): Promise<boolean> {
  const rows = await query(db.url, `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND ${where}`, [db.name]);
  return rows.length > 0;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('SIGTERM while waiting for another version of the key: the wait is cancelled, exit 75, no attempt counted', async () => {
  await putObject(aws.input, 'in/waiting.csv', 'id,name\n40,w\n');
  const holder = new Client({ connectionString: db.url });
  await holder.connect();
  try {
    // What a run processing another version of this key holds (src/runtime/ledger/file-metadata.ts, lockKey).
    await holder.query("SELECT pg_advisory_lock(hashtextextended('cdk-data-pipeline/object/' || $1::text || '/' || $2::text, 0))", [aws.input, 'in/waiting.csv']);
    const { child, done } = start(['run', '--bucket', aws.input, '--key', 'in/waiting.csv'], env());
    await until('the lock wait', () => activity("wait_event_type = 'Lock' AND query ILIKE '%pg_advisory_lock%'"));
    const sent = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(r.code).toBe(75);
    expect(r.lines[0]).toMatchObject({ status: 'interrupted', retry: true, error: expect.stringContaining('before the attempt started') });
  } finally {
    await holder.end();
  }
  const [row] = (await fileRows(db.url)).filter((f) => f.key === 'in/waiting.csv');
  expect(row).toMatchObject({ status: 'processing', attempts: 0 });
  const rerun = await run(['--bucket', aws.input, '--key', 'in/waiting.csv']);
  expect(rerun.lines[0]).toMatchObject({ status: 'succeeded', rows: 1, attempt: 1 });
});

describe('SIGTERM in the middle of a long load', () => {
  const ROWS = 600_000;
  const KEY = 'big/orders.csv';
  const bigEnv = () => env({ PIPELINE_SINKS: JSON.stringify([BENCH_TABLE_CONFIG]) });

  beforeAll(async () => {
    const csv = await generateCsv(path.join(work, 'big.csv'), ROWS);
    await putObject(aws.input, KEY, fs.readFileSync(csv.path));
  }, 300_000);

  async function copyRunning(): Promise<boolean> {
    return activity("query ILIKE 'COPY%'");
  }

  test('exit 75 within seconds, status interrupted, nothing loaded; the rerun loads every row once', async () => {
    const { child, done } = start(['run', '--bucket', aws.input, '--key', KEY], bigEnv());
    await until('the COPY', copyRunning);
    await new Promise((r) => setTimeout(r, 200));
    const sent = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    const took = Date.now() - sent;
    expect(r.stderr).toContain('SIGTERM: stopping');
    expect(r.code).toBe(75);
    expect(took).toBeLessThan(5_000);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ status: 'interrupted', key: KEY, attempt: 1, rows: null, retry: true, errorKind: 'internal' });
    expect(r.lines[0].error).toMatch(/^interrupted \(SIGTERM received\) during attempt 1: rolled back/);
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM bench_orders')).toEqual([{ n: 0 }]);
    const [row] = (await fileRows(db.url)).filter((f) => f.key === KEY);
    expect(row).toMatchObject({ status: 'failed', error_kind: 'internal', attempts: 1, rows_count: null });
    expect(await listKeys(aws.output, `results/${KEY}`)).toEqual([]);

    const rerun = await start(['run', '--bucket', aws.input, '--key', KEY], bigEnv()).done;
    expect(rerun.code).toBe(0);
    expect(rerun.lines[0]).toMatchObject({ status: 'succeeded', rows: ROWS, attempt: 2 });
    expect(await query(db.url, 'SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, min(id)::int AS lo, max(id)::int AS hi FROM bench_orders'))
      .toEqual([{ n: ROWS, ids: ROWS, lo: 1, hi: ROWS }]);
  }, 300_000);

  test('--prefix: SIGTERM during the first file leaves the rest not started, exit 75; a forced attempt keeps the loaded rows', async () => {
    await putObject(aws.input, 'big/zz-small.csv', 'id,qty,price,customer,created_at,active,ship_day,note\n');
    const { child, done } = start(['run', '--bucket', aws.input, '--prefix', 'big/', '--force'], bigEnv());
    await until('the COPY', copyRunning);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(75);
    expect(r.lines.map((l) => l.status ?? 'summary')).toEqual(['interrupted', 'summary']);
    expect(r.lines[1].summary).toMatchObject({ files: 2, interrupted: 1, notStarted: 1, succeeded: 0, exitCode: 75 });
    // The report of a prefix without {date} is named after the prefix and the start time; it says why it stopped.
    const [reportKey] = await listKeys(aws.output, 'reports/big-');
    expect(reportKey).toMatch(/^reports\/big-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.json$/);
    expect(JSON.parse(await readText(aws.output, reportKey))).toMatchObject({
      prefix: 'big/',
      complete: false,
      stoppedBecause: 'interrupted',
      counts: { files: 2, interrupted: 1, notStarted: 1 },
      files: [{ key: KEY, status: 'interrupted' }, { key: 'big/zz-small.csv', status: 'not-started', version: null }],
    });
    // The forced attempt was rolled back: the rows of the load before it are all there, once.
    expect(await query(db.url, 'SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM bench_orders')).toEqual([{ n: ROWS, ids: ROWS }]);
    const [row] = (await fileRows(db.url)).filter((f) => f.key === KEY);
    expect(row).toMatchObject({ status: 'failed', error_kind: 'internal', attempts: 3 });
  }, 300_000);
});
