/**
 * Corrected re-uploads: a new version of a key replaces the rows, result and
 * rejects of the earlier versions (or keeps every version's rows with
 * APPEND), and a late event for an older version changes nothing.
 */
import {
  closeHelpers, createAws, exists, fileRows, nextSequencer, putObject, query, readText, s3Event, sentMessages, tableSinkConfig,
  TestAws, testRuntime, upload,
} from './helpers';
import { compareSequencers } from '../../src/runtime/core/version-order';
import { handleS3Event } from '../../src/runtime/entry/handle-event';
import { PostgresTableSinkConfig } from '../../src/shared/sink-config';
import { createTestDatabase } from '../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;

const table = (name: string, extra: Partial<PostgresTableSinkConfig> = {}): PostgresTableSinkConfig =>
  tableSinkConfig(name, [{ name: 'id', type: 'integer', nullable: false }, { name: 'qty', type: 'integer', nullable: true }], { badRows: 'SKIP_AND_REPORT', ...extra });

beforeAll(async () => {
  db = await createTestDatabase('nv');
  aws = await createAws({ versioned: true });
});

afterAll(async () => {
  closeHelpers();
  await db.drop();
});

async function withRuntime<T>(sinks: PostgresTableSinkConfig[], body: (runtime: ReturnType<typeof testRuntime>) => Promise<T>): Promise<T> {
  const runtime = testRuntime(aws, db.url, { PIPELINE_SINKS: JSON.stringify(sinks) });
  try {
    return await body(runtime);
  } finally {
    await runtime.close();
  }
}

const statuses = async (key: string) => (await fileRows(db.url)).filter((r) => r.key === key).map((r) => [r.version, r.status]);

test('a corrected re-upload replaces the rows, result and rejects of the earlier version; a late old event changes nothing', async () => {
  await withRuntime([table('orders_replace')], async (runtime) => {
    const key = 'orders/day1.csv';
    const v1 = await upload(aws.input, key, 'id,qty\n1,10\n2,oops\n');
    expect((await handleS3Event(v1.event, runtime)).files[0]).toMatchObject({ status: 'succeeded', rows: 1, rowsRejected: 1 });
    expect(await exists(aws.output, `rejects/${key}.csv`)).toBe(true);

    const v2 = await upload(aws.input, key, 'id,qty\n1,10\n2,20\n3,30\n');
    expect((await handleS3Event(v2.event, runtime)).files[0]).toMatchObject({ status: 'succeeded', rows: 3, rowsRejected: 0 });
    expect(await query(db.url, 'SELECT id, qty FROM orders_replace ORDER BY id')).toEqual([{ id: 1, qty: 10 }, { id: 2, qty: 20 }, { id: 3, qty: 30 }]);
    expect(await exists(aws.output, `rejects/${key}.csv`)).toBe(false);
    expect(JSON.parse(await readText(aws.output, `results/${key}.json`))).toMatchObject({ version: v2.versionId, rows: 3 });

    // S3 delivers v1's event again, late: it is a duplicate of a replaced version.
    expect((await handleS3Event(v1.event, runtime)).files[0]).toMatchObject({ status: 'duplicate', reason: expect.stringMatching(/already replaced/) });
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM orders_replace')).toEqual([{ n: 3 }]);
    expect(await statuses(key)).toEqual([[v1.versionId, 'replaced'], [v2.versionId, 'succeeded']]);
    const [replaced] = (await fileRows(db.url)).filter((r) => r.version === v1.versionId);
    expect(Number(replaced.replaced_by)).toBe(Number((await fileRows(db.url)).find((r) => r.version === v2.versionId)!.id));
  });
});

test('events out of order: the newer version arrives first, the older one is superseded and leaves rows, result and messages alone', async () => {
  await withRuntime([table('orders_ooo')], async (runtime) => {
    const key = 'late.csv';
    const old = await upload(aws.input, key, 'id,qty\n1,1\n');
    const newer = await upload(aws.input, key, 'id,qty\n1,2\n2,2\n');
    expect((await handleS3Event(newer.event, runtime)).files[0]).toMatchObject({ status: 'succeeded', rows: 2 });
    const late = (await handleS3Event(old.event, runtime)).files[0];
    expect(late).toMatchObject({ status: 'superseded', retry: false, reason: expect.stringMatching(/newer version of s3:\/\/.*late\.csv is already loaded/) });
    expect(await query(db.url, 'SELECT id, qty FROM orders_ooo ORDER BY id')).toEqual([{ id: 1, qty: 2 }, { id: 2, qty: 2 }]);
    expect(JSON.parse(await readText(aws.output, `results/${key}.json`))).toMatchObject({ version: newer.versionId, rows: 2 });
    expect((await sentMessages(aws.topicArn)).filter((m) => m.body.key === key).map((m) => m.body.version)).toEqual([newer.versionId]);
    expect(await statuses(key)).toEqual([[newer.versionId, 'succeeded'], [old.versionId, 'superseded']]);
  });
});

test('without sequencers (hand-made events) the versions are ordered by LastModified', async () => {
  await withRuntime([table('orders_lm')], async (runtime) => {
    const key = 'by-time.csv';
    const old = await putObject(aws.input, key, 'id,qty\n1,1\n');
    await new Promise((r) => setTimeout(r, 1100)); // LastModified has 1 s resolution
    const newer = await putObject(aws.input, key, 'id,qty\n1,2\n');
    const event = (v: { versionId?: string }) => s3Event(aws.input, key, { versionId: v.versionId });
    expect((await handleS3Event(event(newer), runtime)).files[0]).toMatchObject({ status: 'succeeded' });
    expect((await handleS3Event(event(old), runtime)).files[0]).toMatchObject({ status: 'superseded' });
    expect(await query(db.url, 'SELECT qty FROM orders_lm')).toEqual([{ qty: 2 }]);
  });
});

test('APPEND keeps the rows of every version; each version is still loaded once', async () => {
  await withRuntime([table('orders_append', { previousVersions: 'APPEND' })], async (runtime) => {
    const key = 'append.csv';
    const v1 = await upload(aws.input, key, 'id,qty\n1,1\n');
    const v2 = await upload(aws.input, key, 'id,qty\n2,2\n');
    for (const v of [v1, v2, v2]) await handleS3Event(v.event, runtime);
    expect(await query(db.url, 'SELECT id FROM orders_append ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await statuses(key)).toEqual([[v1.versionId, 'succeeded'], [v2.versionId, 'succeeded']]);
  });
});

test('the sequencer decides within one second, whatever the arrival order', async () => {
  await withRuntime([table('orders_seq')], async (runtime) => {
    const key = 'same-second.csv';
    const a = await putObject(aws.input, key, 'id,qty\n1,1\n');
    const b = await putObject(aws.input, key, 'id,qty\n1,2\n');
    const [seqA, seqB] = [nextSequencer(), nextSequencer()];
    // A shorter sequencer is padded on the right: '0A' sorts after '09F'.
    const ev = (v: { versionId?: string }, sequencer: string) => s3Event(aws.input, key, { versionId: v.versionId, sequencer });
    expect((await handleS3Event(ev(b, seqB), runtime)).files[0]).toMatchObject({ status: 'succeeded' });
    expect((await handleS3Event(ev(a, seqA), runtime)).files[0]).toMatchObject({ status: 'superseded' });
    expect(await query(db.url, 'SELECT qty FROM orders_seq')).toEqual([{ qty: 2 }]);
  });
});

test('compareSequencers pads the shorter one on the right', () => {
  expect(compareSequencers('0A', '09F')).toBeGreaterThan(0);
  expect(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E6')).toBeLessThan(0);
  expect(compareSequencers('ab', 'AB0')).toBe(0);
});
