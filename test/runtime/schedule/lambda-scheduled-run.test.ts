/**
 * The Lambda's scheduled run through its real entry point (processor.lambda.ts)
 * against PostgreSQL and moto: the payload EventBridge Scheduler sends
 * (src/processor/scheduled-run.ts), the date of the scheduled time in the
 * schedule's time zone, the report, and a time budget too short for the
 * prefix: the rest is left notStarted, the invocation throws (so it is
 * invoked again), and the retry finishes it with the done files as duplicates.
 */
import { handler } from '../../../src/runtime/entry/processor.lambda';
import { createTestDatabase } from '../../support/db';
import { handlerEnvironment } from '../handler-env';
import { closeHelpers, createAws, fileRows, putObject, query, readText, runtimeEnv, TestAws } from '../helpers';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
const env = handlerEnvironment();

const TABLE = {
  kind: 'postgresTable',
  schema: 'public',
  table: 'nightly',
  badRows: 'FAIL_FILE',
  extraColumns: 'IGNORE',
  previousVersions: 'REPLACE',
  columns: [{ name: 'id', type: 'integer', nullable: false }, { name: 'name', type: 'text', nullable: true }],
};

beforeAll(async () => {
  db = await createTestDatabase('sched');
  aws = await createAws({ versioned: true });
  env.enter({ ...runtimeEnv(aws, db.url), PIPELINE_SINKS: JSON.stringify([TABLE]) });
  await handler({ action: 'migrate' });
});

afterAll(async () => {
  await env.leave();
  closeHelpers();
  await db.drop();
});

/** A Lambda context whose time runs out `ms` from now, as the real one does. */
function contextWith(ms: number) {
  const deadline = Date.now() + ms;
  return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

const payload = (prefix: string, scheduledTime: string, timeZone = 'Europe/London', suffix = '.csv') => ({
  scheduledRun: { bucket: aws.input, prefix, suffix, scheduledTime, timeZone },
});

test('processes every .csv under the scheduled date, writes reports/<date>.json with exact counts and entries', async () => {
  const a = await putObject(aws.input, 'raw/2026-01-15/a.csv', 'id,name\n1,a\n2,a\n');
  const b = await putObject(aws.input, 'raw/2026-01-15/b.csv', 'id,name\n3,b\n');
  const c = await putObject(aws.input, 'raw/2026-01-15/c.csv', 'id,name\nnope,c\n');
  await putObject(aws.input, 'raw/2026-01-15/notes.txt', 'not a csv');
  await putObject(aws.input, 'raw/2026-01-16/d.csv', 'id,name\n4,d\n');

  const result = await handler(payload('raw/{date}/', '2026-01-15T02:00:00Z'), contextWith(15 * 60_000));
  const counts = { files: 3, succeeded: 2, failed: 1, duplicate: 0, interrupted: 0, skipped: 0, notStarted: 0, rows: 3, rowsRejected: 0 };
  expect(result).toEqual({
    scheduledRun: { bucket: aws.input, prefix: 'raw/2026-01-15/', date: '2026-01-15', report: `s3://${aws.output}/reports/2026-01-15.json`, counts },
  });
  const report = JSON.parse(await readText(aws.output, 'reports/2026-01-15.json'));
  expect(report).toEqual({
    bucket: aws.input,
    prefix: 'raw/2026-01-15/',
    date: '2026-01-15',
    suffix: '.csv',
    scheduledTime: '2026-01-15T02:00:00.000Z',
    started: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    finished: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    complete: true,
    counts,
    files: [
      { key: 'raw/2026-01-15/a.csv', version: a.versionId, status: 'succeeded', rows: 2, rowsRejected: 0, resultKey: 'results/raw/2026-01-15/a.csv.json' },
      { key: 'raw/2026-01-15/b.csv', version: b.versionId, status: 'succeeded', rows: 1, rowsRejected: 0, resultKey: 'results/raw/2026-01-15/b.csv.json' },
      {
        key: 'raw/2026-01-15/c.csv',
        version: c.versionId,
        status: 'failed',
        rows: null,
        rowsRejected: null,
        error: expect.stringContaining('line 2'),
        resultKey: 'results/raw/2026-01-15/c.csv.json',
      },
    ],
  });
  expect(Date.parse(report.finished)).toBeGreaterThanOrEqual(Date.parse(report.started));
  expect(JSON.parse(await readText(aws.output, 'results/raw/2026-01-15/a.csv.json'))).toMatchObject({ status: 'succeeded', rows: 2 });
  // The other day was not touched.
  expect((await fileRows(db.url)).map((r) => r.key)).not.toContain('raw/2026-01-16/d.csv');
});

test('the scheduled time becomes the date in the schedule\'s time zone (23:30Z in July is the next day in London)', async () => {
  await putObject(aws.input, 'tz/2026-07-14/late.csv', 'id,name\n10,utc-day\n');
  await putObject(aws.input, 'tz/2026-07-15/early.csv', 'id,name\n11,london-day\n');
  const london = await handler(payload('tz/{date}/', '2026-07-14T23:30:00Z', 'Europe/London'), contextWith(60_000)) as any;
  expect(london.scheduledRun).toMatchObject({ prefix: 'tz/2026-07-15/', date: '2026-07-15', counts: { files: 1, succeeded: 1 } });
  const utc = await handler(payload('tz/{date}/', '2026-07-14T23:30:00Z', 'UTC'), contextWith(60_000)) as any;
  expect(utc.scheduledRun).toMatchObject({ prefix: 'tz/2026-07-14/', date: '2026-07-14', counts: { files: 1, succeeded: 1 } });
  expect(JSON.parse(await readText(aws.output, 'reports/2026-07-15.json')).files.map((f: any) => f.key)).toEqual(['tz/2026-07-15/early.csv']);
});

test('daysBefore: a 02:00 run processes the previous day\'s folder and reports under that date', async () => {
  await putObject(aws.input, 'nightly/2026-02-28/a.csv', 'id,name\n30,yesterday\n');
  await putObject(aws.input, 'nightly/2026-03-01/b.csv', 'id,name\n31,today\n');
  const r = await handler({ scheduledRun: { bucket: aws.input, prefix: 'nightly/{date}/', suffix: '.csv', scheduledTime: '2026-03-01T02:00:00Z', timeZone: 'UTC', daysBefore: 1 } },
    contextWith(60_000)) as any;
  expect(r.scheduledRun).toMatchObject({ prefix: 'nightly/2026-02-28/', date: '2026-02-28', counts: { files: 1, succeeded: 1 } });
  expect(JSON.parse(await readText(aws.output, 'reports/2026-02-28.json')).files.map((f: any) => f.key)).toEqual(['nightly/2026-02-28/a.csv']);
});

test('a prefix without {date}: the report is named after the prefix and the scheduled time', async () => {
  await putObject(aws.input, 'flat/in/x.csv', 'id,name\n20,x\n');
  const r = await handler(payload('flat/in/', '2026-03-01T06:00:00Z', 'UTC'), contextWith(60_000)) as any;
  expect(r.scheduledRun).toEqual({
    bucket: aws.input, prefix: 'flat/in/', report: `s3://${aws.output}/reports/flat_in-2026-03-01T06-00-00Z.json`, counts: expect.objectContaining({ succeeded: 1 }),
  });
});

test('no time left for even one file: every file notStarted, the report written, the invocation throws', async () => {
  for (const k of ['p', 'q']) await putObject(aws.input, `late/2026-02-01/${k}.csv`, `id,name\n30,${k}\n`);
  // Under the finish margin (10 s) from the start.
  await expect(handler(payload('late/{date}/', '2026-02-01T02:00:00Z'), contextWith(5_000)))
    .rejects.toThrow(/^scheduled run of s3:\/\/\S+\/late\/2026-02-01\/\*\.csv: 2 of 2 files not started: the invocation's time was running out; the retry skips the files done \(duplicates\) and processes the rest \(report: s3:\/\/\S+\/reports\/2026-02-01\.json\)$/);
  expect(JSON.parse(await readText(aws.output, 'reports/2026-02-01.json'))).toMatchObject({
    complete: false,
    stoppedBecause: 'time',
    counts: { files: 2, notStarted: 2, succeeded: 0 },
    files: [{ key: 'late/2026-02-01/p.csv', status: 'not-started', version: null }, { key: 'late/2026-02-01/q.csv', status: 'not-started' }],
  });
  expect((await fileRows(db.url)).filter((r) => r.key.startsWith('late/'))).toEqual([]);
});

test('a budget for some of the files: the rest notStarted and a throw; the retry finishes them, the done ones duplicates', async () => {
  const FILES = 80;
  const keys = Array.from({ length: FILES }, (_, i) => `many/2026-02-02/f${String(i).padStart(2, '0')}.csv`);
  for (const [i, key] of keys.entries()) await putObject(aws.input, key, `id,name\n${1000 + i},m\n`);
  const event = payload('many/{date}/', '2026-02-02T02:00:00Z');

  // 10 s finish margin + 1 s of work: some files (tens of ms each here), not eighty.
  let error: Error | undefined;
  await handler(event, contextWith(11_000)).catch((e: Error) => { error = e; });
  expect(error?.message).toMatch(/files not started: the invocation's time was running out/);
  const first = JSON.parse(await readText(aws.output, 'reports/2026-02-02.json'));
  expect(first).toMatchObject({ complete: false, stoppedBecause: 'time' });
  expect(first.counts.succeeded).toBeGreaterThanOrEqual(1);
  expect(first.counts.notStarted).toBeGreaterThanOrEqual(1);
  expect(first.counts.succeeded + first.counts.failed + first.counts.notStarted).toBe(FILES);
  // In key order: the files done first, then the ones not started.
  const statuses: string[] = first.files.map((f: any) => f.status);
  expect(statuses.indexOf('not-started')).toBe(first.counts.succeeded + first.counts.failed);
  expect(first.files.map((f: any) => f.key)).toEqual(keys);

  const retry = await handler(event, contextWith(15 * 60_000)) as any;
  expect(retry.scheduledRun.counts).toMatchObject({
    files: FILES, duplicate: first.counts.succeeded, succeeded: FILES - first.counts.succeeded, failed: 0, notStarted: 0,
  });
  const second = JSON.parse(await readText(aws.output, 'reports/2026-02-02.json'));
  expect(second.complete).toBe(true);
  expect(second.files.slice(0, first.counts.succeeded).map((f: any) => f.status)).toEqual(Array(first.counts.succeeded).fill('duplicate'));
  // Every file once in the table, every claim succeeded once.
  const rows = (await fileRows(db.url)).filter((r) => r.key.startsWith('many/'));
  expect(rows).toHaveLength(FILES);
  expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
  expect(await query(db.url, 'SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM nightly WHERE id >= 1000')).toEqual([{ n: FILES, ids: FILES }]);
}, 120_000);

describe('a malformed scheduledRun names the field', () => {
  const good = () => ({ bucket: aws.input, prefix: 'raw/{date}/', suffix: '.csv', scheduledTime: '2026-01-15T02:00:00Z', timeZone: 'UTC' });
  test.each<[string, (p: Record<string, unknown>) => unknown, string]>([
    ['not an object', () => 'raw/', 'scheduledRun must be an object with bucket, prefix, suffix, scheduledTime and timeZone, got "raw/"'],
    ['no bucket', ({ bucket: _b, ...p }) => p, 'scheduledRun.bucket must be a non-empty string, got nothing'],
    ['an empty bucket', (p) => ({ ...p, bucket: '' }), 'scheduledRun.bucket must be a non-empty string, got ""'],
    ['a numeric prefix', (p) => ({ ...p, prefix: 7 }), 'scheduledRun.prefix must be a string, got 7'],
    ['no suffix', ({ suffix: _s, ...p }) => p, 'scheduledRun.suffix must be a string, got nothing'],
    ['a bad scheduled time', (p) => ({ ...p, scheduledTime: '<aws.scheduler.scheduled-time>' }),
      'scheduledRun.scheduledTime must be a date as YYYY-MM-DD or an ISO 8601 time with a zone such as 2026-01-15T02:00:00Z, got "<aws.scheduler.scheduled-time>"'],
    ['an unknown time zone', (p) => ({ ...p, timeZone: 'Europe/Lodnon' }),
      'scheduledRun.timeZone must be an IANA time zone name such as Europe/London or UTC, got "Europe/Lodnon"'],
    ['a negative daysBefore', (p) => ({ ...p, daysBefore: -1 }), 'scheduledRun.daysBefore must be a whole number of days from 0 to 366, got -1'],
  ])('%s', async (_name, change, message) => {
    await expect(handler({ scheduledRun: change(good()) }, contextWith(60_000))).rejects.toThrow(message);
  });
});
