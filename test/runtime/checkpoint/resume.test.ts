/**
 * Checkpointed loads against the real PostgreSQL and S3 (moto): chunks
 * commit with their checkpoint, an interrupted file resumes after the last
 * committed chunk with a ranged GET, and the final table is exactly the
 * file, whatever happened in between.
 */
import { createHash } from 'crypto';
import { S3Source } from '../../../src/runtime/aws/s3-source';
import { RowSink } from '../../../src/runtime/contract/sink-api';
import { FileOutcome } from '../../../src/runtime/core/outcome';
import { processFile } from '../../../src/runtime/core/process-file';
import { PostgresTableSinkConfig } from '../../../src/shared/sink-config';
import { createTestDatabase } from '../../support/db';
import { closeHelpers, createAws, exists, fileRows, nextSequencer, putObject, query, readText, tableSinkConfig, TestAws, testRuntime } from '../helpers';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;

const table = (name: string, extra: Partial<PostgresTableSinkConfig> = {}): PostgresTableSinkConfig =>
  tableSinkConfig(name, [{ name: 'id', type: 'integer', nullable: false }, { name: 'note', type: 'text', nullable: true }], extra);

beforeAll(async () => {
  db = await createTestDatabase('ckp');
  aws = await createAws({ versioned: true });
});

afterAll(async () => {
  closeHelpers();
  await db.drop();
});

/** `n` rows; some notes are quoted with commas, quotes and line breaks inside. */
function csv(n: number, bad?: { line: number; text: string }): string {
  const lines = ['id,note'];
  for (let i = 1; i <= n; i++) {
    const note = i % 7 === 0 ? `"multi\nline ""${i}"", ok"` : i % 5 === 0 ? '' : `n${i}`;
    lines.push(`${i},${note}`);
  }
  let text = lines.join('\n') + '\n';
  if (bad) {
    // Replace the record that starts on physical line `bad.line`.
    const physical = text.split('\n');
    physical[bad.line - 1] = bad.text;
    text = physical.join('\n');
  }
  return text;
}

function expectedChecksum(n: number): string {
  const h = createHash('sha256');
  for (let i = 1; i <= n; i++) {
    const note = i % 7 === 0 ? `multi\nline "${i}", ok` : i % 5 === 0 ? null : `n${i}`;
    h.update(`${i}|${note ?? '<null>'}\n`);
  }
  return h.digest('hex');
}

async function tableChecksum(name: string): Promise<{ count: number; distinct: number; checksum: string }> {
  const rows = await query<{ id: number; note: string | null }>(db.url, `SELECT id, note FROM ${name} ORDER BY id`);
  const h = createHash('sha256');
  for (const r of rows) h.update(`${r.id}|${r.note ?? '<null>'}\n`);
  return { count: rows.length, distinct: new Set(rows.map((r) => r.id)).size, checksum: h.digest('hex') };
}

interface RunOptions {
  every: number;
  /** Interrupt (as SIGTERM would) once this many chunks have been loaded. */
  stopAfterChunks?: number;
  force?: boolean;
  versionId?: string;
  /** The S3 event's sequencer (orders the versions of a key). */
  sequencer?: string;
  /** Fails the run for a pipeline reason (a lost connection) on this chunk. */
  breakOnChunk?: number;
  /** Milliseconds each chunk takes at least (a slow database). */
  chunkMs?: number;
  /** What the host says is left (the Lambda's remaining time). */
  remainingMs?: () => number;
}

async function run(config: PostgresTableSinkConfig, key: string, o: RunOptions): Promise<FileOutcome> {
  const runtime = testRuntime(aws, db.url, { PIPELINE_SINKS: JSON.stringify([config]) });
  const controller = new AbortController();
  let loads = 0;
  const sinks: RowSink[] = runtime.sinks.map((s) => ({
    keepsEarlierVersions: s.keepsEarlierVersions,
    discard: (client, ids) => s.discard(client, ids),
    async load(client, file, open) {
      loads++;
      if (loads === o.breakOnChunk) throw new Error('connection to the database lost (test)');
      const out = await s.load(client, file, open);
      if (o.chunkMs) await new Promise((r) => setTimeout(r, o.chunkMs));
      if (loads === o.stopAfterChunks) controller.abort('SIGTERM (test)');
      return out;
    },
  }));
  try {
    return await processFile(new S3Source(runtime.s3, { bucket: aws.input, key, versionId: o.versionId, sequencer: o.sequencer }), {
      ...runtime, sinks, checkpointEvery: o.every, force: o.force, interrupt: controller.signal, remainingMs: o.remainingMs, finishMarginMs: 0,
    });
  } finally {
    await runtime.close();
  }
}

const checkpoints = () => query(db.url, 'SELECT * FROM file_checkpoint ORDER BY file_id');

test('one file in chunks of 10: every row once, one checkpoint-free success, rejects none', async () => {
  const t = table('ck_plain');
  const put = await putObject(aws.input, 'plain.csv', csv(95));
  const out = await run(t, 'plain.csv', { every: 10, versionId: put.versionId });
  expect(out).toMatchObject({ status: 'succeeded', rows: 95, rowsRejected: 0 });
  expect(out.resumedFrom).toBeUndefined();
  expect(await tableChecksum('ck_plain')).toEqual({ count: 95, distinct: 95, checksum: expectedChecksum(95) });
  expect(await checkpoints()).toEqual([]);
});

test('interrupted after 3 chunks: 30 rows stay committed, the next run resumes with a ranged read and ends exact', async () => {
  const t = table('ck_resume');
  const put = await putObject(aws.input, 'resume.csv', csv(95));
  const stopped = await run(t, 'resume.csv', { every: 10, stopAfterChunks: 3, versionId: put.versionId });
  expect(stopped).toMatchObject({ status: 'interrupted', retry: true, rowsCommitted: 30 });
  expect(stopped.error).toMatch(/30 rows are committed up to line \d+, and the next run resumes there/);
  expect((await tableChecksum('ck_resume')).count).toBe(30);
  const [cp] = await checkpoints();
  expect(cp).toMatchObject({ rows_loaded: '30', chunks: 3 });
  expect(await exists(aws.output, 'results/resume.csv.json')).toBe(false);

  const done = await run(t, 'resume.csv', { every: 10, versionId: put.versionId });
  expect(done).toMatchObject({ status: 'succeeded', rows: 95, resumedFrom: 30 });
  expect(await tableChecksum('ck_resume')).toEqual({ count: 95, distinct: 95, checksum: expectedChecksum(95) });
  expect(JSON.parse(await readText(aws.output, 'results/resume.csv.json'))).toMatchObject({ rows: 95, resumedFrom: 30, status: 'succeeded' });
  const row = (await fileRows(db.url)).find((r) => r.key === 'resume.csv')!;
  expect(row).toMatchObject({ status: 'succeeded', rows_count: '95', resumed_from: '30' });
  expect(await checkpoints()).toEqual([]);
});

test('a failure of the pipeline on chunk 4 keeps chunks 1-3 for the retry', async () => {
  const t = table('ck_retry');
  const put = await putObject(aws.input, 'retry.csv', csv(60));
  const failed = await run(t, 'retry.csv', { every: 10, breakOnChunk: 4, versionId: put.versionId });
  expect(failed).toMatchObject({ status: 'failed', retry: true, errorKind: 'internal' });
  expect((await tableChecksum('ck_retry')).count).toBe(30);
  const done = await run(t, 'retry.csv', { every: 10, versionId: put.versionId });
  expect(done).toMatchObject({ status: 'succeeded', rows: 60, resumedFrom: 30 });
  expect(await tableChecksum('ck_retry')).toEqual({ count: 60, distinct: 60, checksum: expectedChecksum(60) });
});

test('FAIL_FILE: a bad row in chunk 5 fails the file, names its line, and removes the committed chunks', async () => {
  const t = table('ck_failfile');
  // Physical line of record 45 (the header is line 1; notes of ids divisible by 7 span two lines).
  const lineOf = (id: number) => 1 + id + Math.floor((id - 1) / 7);
  const bad = lineOf(45);
  const put = await putObject(aws.input, 'failfile.csv', csv(80, { line: bad, text: '45x,oops' }));
  const out = await run(t, 'failfile.csv', { every: 10, versionId: put.versionId });
  expect(out).toMatchObject({ status: 'failed', retry: false, errorKind: 'input' });
  expect(out.error).toMatch(new RegExp(`line ${bad}\\b.*column "id"`));
  expect((await tableChecksum('ck_failfile')).count).toBe(0);
  expect(await checkpoints()).toEqual([]);
  // The same message as a one-transaction load of the same file.
  const put2 = await putObject(aws.input, 'failfile-once.csv', csv(80, { line: bad, text: '45x,oops' }));
  const once = await run(table('ck_failfile_once'), 'failfile-once.csv', { every: 0, versionId: put2.versionId });
  expect(once.error).toBe(out.error);
});

test('SKIP_AND_REPORT across chunks and a resume: one rejects file with every bad row, lines as in a one-transaction load', async () => {
  const text = csv(70).replace('\n33,n33\n', '\nx33,n33\n')
    .replace('\n61,n61\n', '\n61x,n61\n');
  const t = table('ck_skip', { badRows: 'SKIP_AND_REPORT', columns: [{ name: 'id', type: 'integer', nullable: false }, { name: 'note', type: 'text', nullable: true }] });
  const put = await putObject(aws.input, 'skip.csv', text);
  const stopped = await run(t, 'skip.csv', { every: 10, stopAfterChunks: 4, versionId: put.versionId });
  expect(stopped.status).toBe('interrupted');
  const done = await run(t, 'skip.csv', { every: 10, versionId: put.versionId });
  expect(done).toMatchObject({ status: 'succeeded', rows: 68, rowsRejected: 2 });
  const chunkedRejects = await readText(aws.output, 'rejects/skip.csv.csv');

  const put2 = await putObject(aws.input, 'skip-once.csv', text);
  const once = await run(table('ck_skip_once', { badRows: 'SKIP_AND_REPORT' }), 'skip-once.csv', { every: 0, versionId: put2.versionId });
  expect(once).toMatchObject({ status: 'succeeded', rows: 68, rowsRejected: 2 });
  expect(chunkedRejects).toBe(await readText(aws.output, 'rejects/skip-once.csv.csv'));
  expect(chunkedRejects.split('\n').filter((l) => /^\d+,/.test(l))).toHaveLength(2);
});

test('a new version of the key starts from zero and removes the rows the interrupted version had committed', async () => {
  const t = table('ck_versions');
  const v1 = { ...await putObject(aws.input, 'versions.csv', csv(50)), sequencer: nextSequencer() };
  expect(await run(t, 'versions.csv', { every: 10, stopAfterChunks: 2, ...v1 })).toMatchObject({ status: 'interrupted' });
  expect((await tableChecksum('ck_versions')).count).toBe(20);
  const v2 = { ...await putObject(aws.input, 'versions.csv', csv(25)), sequencer: nextSequencer() };
  const done = await run(t, 'versions.csv', { every: 10, ...v2 });
  expect(done).toMatchObject({ status: 'succeeded', rows: 25 });
  expect(done.resumedFrom).toBeUndefined();
  expect(await tableChecksum('ck_versions')).toEqual({ count: 25, distinct: 25, checksum: expectedChecksum(25) });
  expect(await checkpoints()).toEqual([]);
  // The old version's late retry is older than the loaded one: it changes nothing.
  expect(await run(t, 'versions.csv', { every: 10, ...v1 })).toMatchObject({ status: 'superseded' });
  expect((await tableChecksum('ck_versions')).count).toBe(25);
});

test('a checkpoint that does not match the bytes (another size) is never used: the load starts over', async () => {
  const t = table('ck_mismatch');
  const put = await putObject(aws.input, 'mismatch.csv', csv(40));
  await run(t, 'mismatch.csv', { every: 10, stopAfterChunks: 2, versionId: put.versionId });
  await query(db.url, 'UPDATE file_checkpoint SET size_bytes = size_bytes + 1');
  const done = await run(t, 'mismatch.csv', { every: 10, versionId: put.versionId });
  expect(done).toMatchObject({ status: 'succeeded', rows: 40 });
  expect(done.resumedFrom).toBeUndefined();
  expect(await tableChecksum('ck_mismatch')).toEqual({ count: 40, distinct: 40, checksum: expectedChecksum(40) });
});

test('force starts over even with a checkpoint, and replaces the rows', async () => {
  const t = table('ck_force');
  const put = await putObject(aws.input, 'force.csv', csv(30));
  await run(t, 'force.csv', { every: 10, stopAfterChunks: 1, versionId: put.versionId });
  const done = await run(t, 'force.csv', { every: 10, force: true, versionId: put.versionId });
  expect(done).toMatchObject({ status: 'succeeded', rows: 30 });
  expect(done.resumedFrom).toBeUndefined();
  expect(await tableChecksum('ck_force')).toEqual({ count: 30, distinct: 30, checksum: expectedChecksum(30) });
});

test('near the time limit (Lambda) the load stops between chunks, keeps them, fails retryably, and the retry resumes', async () => {
  const t = table('ck_deadline');
  const put = await putObject(aws.input, 'deadline.csv', csv(100));
  const slow = await run(t, 'deadline.csv', { every: 10, chunkMs: 100, remainingMs: () => 350, versionId: put.versionId });
  expect(slow).toMatchObject({ status: 'failed', retry: true, errorKind: 'internal' });
  expect(slow.error).toMatch(/ran out of time.*the chunks committed so far are kept and the next delivery resumes after them/);
  const committed = (await tableChecksum('ck_deadline')).count;
  expect(committed).toBeGreaterThanOrEqual(10);
  expect(committed).toBeLessThan(100);
  const [cp] = await checkpoints();
  expect(Number(cp.rows_loaded)).toBe(committed);
  const done = await run(t, 'deadline.csv', { every: 10, versionId: put.versionId });
  expect(done).toMatchObject({ status: 'succeeded', rows: 100, resumedFrom: committed });
  expect(await tableChecksum('ck_deadline')).toEqual({ count: 100, distinct: 100, checksum: expectedChecksum(100) });
});

test('after an interrupted chunked attempt, a one-transaction attempt loads the file exactly and leaves no checkpoint', async () => {
  const t = table('ck_mixed');
  const put = await putObject(aws.input, 'mixed.csv', csv(40));
  await run(t, 'mixed.csv', { every: 10, stopAfterChunks: 2, versionId: put.versionId });
  const done = await run(t, 'mixed.csv', { every: 0, versionId: put.versionId });
  expect(done).toMatchObject({ status: 'succeeded', rows: 40 });
  expect(await tableChecksum('ck_mixed')).toEqual({ count: 40, distinct: 40, checksum: expectedChecksum(40) });
  expect(await checkpoints()).toEqual([]);
});

test('after an interrupted chunked attempt, a one-transaction attempt that fails on content removes the committed chunks', async () => {
  const t = table('ck_mixed_fail');
  const put = await putObject(aws.input, 'mixed-fail.csv', csv(60, { line: 60, text: 'x,bad' }));
  await run(t, 'mixed-fail.csv', { every: 10, stopAfterChunks: 2, versionId: put.versionId });
  expect((await tableChecksum('ck_mixed_fail')).count).toBe(20);
  const failed = await run(t, 'mixed-fail.csv', { every: 0, versionId: put.versionId });
  expect(failed).toMatchObject({ status: 'failed', errorKind: 'input' });
  expect((await tableChecksum('ck_mixed_fail')).count).toBe(0);
  expect(await checkpoints()).toEqual([]);
});

test('a new version loaded in one transaction also removes what an interrupted chunked older version had committed (APPEND too)', async () => {
  const t = table('ck_mixed_versions', { previousVersions: 'APPEND' });
  const v1 = { ...await putObject(aws.input, 'mixed-versions.csv', csv(50)), sequencer: nextSequencer() };
  await run(t, 'mixed-versions.csv', { every: 10, stopAfterChunks: 3, ...v1 });
  const v2 = { ...await putObject(aws.input, 'mixed-versions.csv', csv(15)), sequencer: nextSequencer() };
  expect(await run(t, 'mixed-versions.csv', { every: 0, ...v2 })).toMatchObject({ status: 'succeeded', rows: 15 });
  expect(await tableChecksum('ck_mixed_versions')).toEqual({ count: 15, distinct: 15, checksum: expectedChecksum(15) });
  expect(await checkpoints()).toEqual([]);
});
