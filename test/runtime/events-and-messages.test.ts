/** Pure pieces: S3 event parsing, notification text, EMF documents. */
import { s3Event } from './helpers';
import { backupKey } from '../../src/runtime/contract/storage';
import { emfDocument } from '../../src/runtime/core/metrics';
import { buildNotification, safeSubject } from '../../src/runtime/core/notify';
import { FileOutcome } from '../../src/runtime/core/outcome';
import { decodeS3Key, parseS3Event } from '../../src/runtime/entry/s3-event';

describe('S3 events', () => {
  test.each([
    ['my+file.csv', 'my file.csv'],
    ['a%2Bb.csv', 'a+b.csv'],
    ['dir/Donn%C3%A9es+%C3%A9t%C3%A9.csv', 'dir/Données été.csv'],
    ['100%25.csv', '100%.csv'],
  ])('key %s decodes to %s', (encoded, key) => expect(decodeS3Key(encoded)).toBe(key));

  test('a malformed key is reported', () => {
    expect(() => decodeS3Key('bad%zz.csv')).toThrow(/not valid URL encoding/);
  });

  test('test events, empty events and non-S3 records', () => {
    expect(parseS3Event({ Service: 'Amazon S3', Event: 's3:TestEvent' })).toEqual({ kind: 'test' });
    expect(() => parseS3Event({})).toThrow(/without any/);
    expect(() => parseS3Event(null)).toThrow(/Expected an S3 event/);
    expect(() => parseS3Event({ Records: [{ eventSource: 'aws:sqs' }] })).toThrow(/Record 0 is not an S3 record/);
  });

  test('versionId "null" (versioning suspended) is not a version; ETag quotes are dropped', () => {
    const parsed = parseS3Event(s3Event('b', 'k.csv', { versionId: 'null', eTag: '"abc"' }));
    expect(parsed).toEqual({ kind: 'records', records: [expect.objectContaining({ versionId: undefined, eTag: 'abc', key: 'k.csv' })] });
  });
});

const outcome: FileOutcome = {
  status: 'succeeded',
  bucket: 'in',
  key: 'dir/orders.csv',
  version: 'v1',
  versionKind: 'version-id',
  fileId: 7,
  attempt: 1,
  rows: 1200,
  rowsRejected: 0,
  started: '2026-11-22T04:50:00.000Z',
  finished: '2026-11-22T04:50:02.000Z',
  durationMs: 2000,
};

describe('notifications', () => {
  test('subjects are printable ASCII and at most 100 characters', () => {
    const s = safeSubject(`[p] processed: ${'é'.repeat(50)} 日本 ${'x'.repeat(100)}\n`);
    expect(s.length).toBeLessThanOrEqual(100);
    expect(s).toMatch(/^[\x20-\x7e]+$/);
    expect(s.startsWith('[p] processed: eeeee')).toBe(true);
    expect(s.endsWith('...')).toBe(true);
  });

  test('success and failure messages', () => {
    const ok = buildNotification('pipe', outcome as FileOutcome & { status: 'succeeded' });
    expect(ok.subject).toBe('[pipe] processed 1200 rows: dir/orders.csv');
    expect(JSON.parse(ok.body)).toMatchObject({ pipeline: 'pipe', status: 'succeeded', rows: 1200, version: 'v1' });
    const failed = buildNotification('pipe', { ...outcome, status: 'failed', rows: null, error: 'boom' });
    expect(failed.subject).toBe('[pipe] FAILED: dir/orders.csv');
    expect(failed.status).toBe('failed');
    expect(JSON.parse(failed.body).error).toBe('boom');
  });
});

describe('metrics', () => {
  test('an EMF document for a success', () => {
    const doc = emfDocument('Ns', 'pipe', outcome, 1234);
    expect(doc).toEqual({
      _aws: {
        Timestamp: 1234,
        CloudWatchMetrics: [{
          Namespace: 'Ns',
          Dimensions: [['Pipeline']],
          Metrics: [
            { Name: 'FilesSucceeded', Unit: 'Count' }, { Name: 'FilesFailed', Unit: 'Count' },
            { Name: 'ProcessingDuration', Unit: 'Milliseconds' }, { Name: 'Rows', Unit: 'Count' },
            { Name: 'RowsRejected', Unit: 'Count' }, { Name: 'RowsPerSecond', Unit: 'Count/Second' },
          ],
        }],
      },
      Pipeline: 'pipe',
      FilesSucceeded: 1,
      FilesFailed: 0,
      ProcessingDuration: 2000,
      Rows: 1200,
      RowsRejected: 0,
      RowsPerSecond: 600,
    });
  });

  test('a failure counts the file but no rows', () => {
    const doc = emfDocument('Ns', 'pipe', { ...outcome, status: 'failed', rows: null });
    expect(doc).toMatchObject({ FilesSucceeded: 0, FilesFailed: 1 });
    expect(doc).not.toHaveProperty('Rows');
  });
});

test('backup keys use a colon-free UTC timestamp', () => {
  expect(backupKey('a/b.csv', new Date('2026-11-22T04:50:00.999Z'))).toBe('backup/2026-11-22T04-50-00Z/a/b.csv');
});
