/**
 * S3 faults: the download of the input cut off mid-file (a TCP proxy in
 * front of moto drops the connection after N bytes of the body), and, in a
 * versioned bucket, the object overwritten or deleted between the event and
 * the read, or while it is being read. Whatever happens, the table holds all
 * of one version's rows or none of them.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import {
  EMPTY, expected, faultRuntime, FaultRuntime, generateCsv, sinksEnv, statusesSent, tableChecksum, tableSink,
} from './fault-helpers';
import { handleEvent } from '../../../src/runtime/entry/handle-event';
import { startCuttingProxy, CuttingProxy } from '../../support/cutting-proxy';
import { createTestDatabase } from '../../support/db';
import { motoEndpoint } from '../../support/moto';
import { closeHelpers, createAws, exists, fileRows, listKeys, readText, s3, sqsEvent, TestAws, upload } from '../helpers';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
let proxy: CuttingProxy;

beforeAll(async () => {
  [db, aws, proxy] = await Promise.all([createTestDatabase('s3f'), createAws({ versioned: true }), startCuttingProxy(motoEndpoint())]);
});

afterAll(async () => {
  await proxy?.close();
  closeHelpers();
  await db?.drop();
});

/** A runtime loading into its own table, every AWS call through the proxy. */
function runtimeFor(table: string | null): FaultRuntime {
  return faultRuntime(aws, db.url, { env: table ? sinksEnv(tableSink(table)) : {}, endpoint: proxy.endpoint });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** GetObject requests of `key` in the input bucket (path style: /bucket/key?versionId=...). */
const getsOf = (key: string) => new RegExp(`^/${escape(aws.input)}/${escape(key)}\\?`);
const rowsFor = async (key: string) => (await fileRows(db.url)).filter((r) => r.key === key);
const backupsOf = async (key: string) => (await listKeys(aws.backup, 'backup/')).filter((k) => k.endsWith(`/${key}`));
const result = async (key: string) => JSON.parse(await readText(aws.output, `results/${key}.json`));

describe('the download cut off mid-file', () => {
  for (const at of [{ what: 'mid-record', bytes: 20_011 }, { what: 'at a record boundary', bytes: -1 }]) {
    test(`table load, cut ${at.what}: failed and retried, nothing half-loaded, then exactly the file`, async () => {
      const table = `cut_${at.bytes < 0 ? 'boundary' : 'mid'}`;
      const runtime = runtimeFor(table);
      try {
        const key = `s3-faults/cut-${table}.csv`;
        const csv = generateCsv(3000, table);
        // A cut right after a newline: the part that arrived is itself a well-formed CSV.
        const bytes = at.bytes > 0 ? at.bytes : csv.body.indexOf('\n', 30_000) + 1;
        expect(bytes).toBeLessThan(Buffer.byteLength(csv.body));
        const { event } = await upload(aws.input, key, csv.body);
        const cut = proxy.arm({ path: getsOf(key), afterBytes: bytes, mode: 'cut' });

        const first = await handleEvent(sqsEvent(event), runtime);
        expect(cut.hits()).toBe(1);
        expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
        expect(first.files).toEqual([expect.objectContaining({ status: 'failed', errorKind: 'internal', retry: true })]);
        expect(await tableChecksum(db.url, table)).toEqual(EMPTY);
        expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'failed', error_kind: 'internal', attempts: 1, rows_count: null })]);
        expect(await result(key)).toMatchObject({ status: 'failed', rows: null, error: first.files[0].error });
        expect(await backupsOf(key)).toEqual([]);
        expect(await statusesSent(aws.topicArn, key)).toEqual(['failed']);

        const retry = await handleEvent(sqsEvent(event), runtime);
        expect(retry.batchItemFailures).toEqual([]);
        expect(retry.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: csv.rows, attempt: 2 })]);
        expect(await tableChecksum(db.url, table)).toEqual(expected(csv));
        expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 2, rows_count: String(csv.rows), error: null })]);
        expect(await result(key)).toMatchObject({ status: 'succeeded', rows: csv.rows });
        expect(await backupsOf(key)).toHaveLength(1);
        expect(await statusesSent(aws.topicArn, key)).toEqual(['failed', 'succeeded']);
      } finally {
        await runtime.close();
      }
    });
  }

  test('counting only (no sinks), cut at a record boundary: never a success with a short count', async () => {
    const runtime = runtimeFor(null);
    try {
      const key = 's3-faults/cut-count.csv';
      const csv = generateCsv(3000, 'count');
      const { event } = await upload(aws.input, key, csv.body);
      proxy.arm({ path: getsOf(key), afterBytes: csv.body.indexOf('\n', 30_000) + 1, mode: 'cut' });

      const first = await handleEvent(sqsEvent(event), runtime);
      expect(first.files).toEqual([expect.objectContaining({ status: 'failed', errorKind: 'internal', retry: true })]);
      expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'failed', rows_count: null })]);
      expect(await backupsOf(key)).toEqual([]);

      const retry = await handleEvent(sqsEvent(event), runtime);
      expect(retry.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: csv.rows })]);
      expect(await statusesSent(aws.topicArn, key)).toEqual(['failed', 'succeeded']);
    } finally {
      await runtime.close();
    }
  });
});

describe('a versioned bucket: the version in the event is the one processed', () => {
  test('overwritten between the event and the read: the first event loads its own version, the second replaces it', async () => {
    const runtime = runtimeFor('versions');
    try {
      const key = 's3-faults/overwritten.csv';
      const v1 = generateCsv(40, 'v1');
      const v2 = generateCsv(70, 'v2');
      const first = await upload(aws.input, key, v1.body);
      const second = await upload(aws.input, key, v2.body);
      expect(first.versionId).not.toEqual(second.versionId);

      const one = await handleEvent(sqsEvent(first.event), runtime);
      expect(one.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 40, version: first.versionId, versionKind: 'version-id' })]);
      expect(await tableChecksum(db.url, 'versions')).toEqual(expected(v1));
      expect(await readText(aws.backup, (await backupsOf(key))[0])).toBe(v1.body);

      const two = await handleEvent(sqsEvent(second.event), runtime);
      expect(two.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 70, version: second.versionId })]);
      expect(await tableChecksum(db.url, 'versions')).toEqual(expected(v2));
      expect((await rowsFor(key)).map((r) => [r.version, r.status])).toEqual([[first.versionId, 'replaced'], [second.versionId, 'succeeded']]);
      expect(await result(key)).toMatchObject({ status: 'succeeded', rows: 70, version: second.versionId });
      expect(await statusesSent(aws.topicArn, key)).toEqual(['succeeded', 'succeeded']);

      // The first event delivered again, late: a duplicate; it does not bring v1's rows back.
      const late = await handleEvent(sqsEvent(first.event), runtime);
      expect(late.files).toEqual([expect.objectContaining({ status: 'duplicate', retry: false })]);
      expect(await tableChecksum(db.url, 'versions')).toEqual(expected(v2));
    } finally {
      await runtime.close();
    }
  });

  test('the version deleted before the read: gone, nothing loaded, written or sent; a plain delete (a delete marker) is not', async () => {
    const runtime = runtimeFor('deleted');
    try {
      const key = 's3-faults/deleted.csv';
      const csv = generateCsv(10, 'd');
      const { event, versionId } = await upload(aws.input, key, csv.body);
      await s3().send(new DeleteObjectCommand({ Bucket: aws.input, Key: key, VersionId: versionId }));
      const out = await handleEvent(sqsEvent(event), runtime);
      expect(out.batchItemFailures).toEqual([]);
      expect(out.files).toEqual([expect.objectContaining({ status: 'gone', retry: false, reason: expect.stringMatching(`version ${versionId}\\) does not exist`) })]);
      expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'gone', rows_count: null })]);
      expect(await tableChecksum(db.url, 'deleted')).toEqual(EMPTY);
      expect(await exists(aws.output, `results/${key}.json`)).toBe(false);
      expect(await backupsOf(key)).toEqual([]);
      expect(await statusesSent(aws.topicArn, key)).toEqual([]);

      // A delete without a version id only hides the object behind a delete marker: the event's version is still there, and is loaded.
      const marked = 's3-faults/delete-marker.csv';
      const kept = await upload(aws.input, marked, csv.body);
      await s3().send(new DeleteObjectCommand({ Bucket: aws.input, Key: marked }));
      const loaded = await handleEvent(sqsEvent(kept.event), runtime);
      expect(loaded.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 10, version: kept.versionId })]);
      expect(await tableChecksum(db.url, 'deleted')).toEqual(expected(csv));
    } finally {
      await runtime.close();
    }
  });

  test('the version deleted while it is being read: gone, the partial load rolled back, nothing sent', async () => {
    const runtime = runtimeFor('mid_read');
    try {
      const key = 's3-faults/deleted-mid-read.csv';
      const csv = generateCsv(3000, 'm');
      const { event, versionId } = await upload(aws.input, key, csv.body);
      const hold = proxy.arm({ path: getsOf(key), afterBytes: 20_000, mode: 'hold' });
      const running = handleEvent(sqsEvent(event), runtime);
      await hold.triggered;
      await s3().send(new DeleteObjectCommand({ Bucket: aws.input, Key: key, VersionId: versionId }));
      hold.release();
      const out = await running;
      expect(out.batchItemFailures).toEqual([]);
      expect(out.files).toEqual([expect.objectContaining({
        status: 'gone', retry: false, reason: `Input object s3://${aws.input}/${key} (version ${versionId}) was deleted while it was being processed; nothing of it was kept`,
      })]);
      expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'gone', rows_count: null, attempts: 1, error: out.files[0].reason })]);
      expect(await tableChecksum(db.url, 'mid_read')).toEqual(EMPTY);
      expect(await exists(aws.output, `results/${key}.json`)).toBe(false);
      expect(await backupsOf(key)).toEqual([]);
      expect(await statusesSent(aws.topicArn, key)).toEqual([]);
      // A newer upload of the key loads normally afterwards.
      const next = generateCsv(5, 'n');
      const newer = await upload(aws.input, key, next.body);
      const again = await handleEvent(sqsEvent(newer.event), runtime);
      expect(again.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 5 })]);
      expect(await tableChecksum(db.url, 'mid_read')).toEqual(expected(next));
    } finally {
      await runtime.close();
    }
  });
});
