/** End to end through the processing core: real PostgreSQL, real moto S3 and SNS. */
import {
  closeHelpers, createAws, exists, fileRows, listKeys, query, readText, s3Event, sentMessages, TestAws, testRuntime, TestRuntime, upload,
} from './helpers';
import { handleS3Event } from '../../src/runtime/entry/handle-event';
import { createTestDatabase } from '../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
let runtime: TestRuntime;

beforeAll(async () => {
  db = await createTestDatabase('proc');
  aws = await createAws();
  runtime = testRuntime(aws, db.url);
});

afterAll(async () => {
  await runtime.close();
  closeHelpers();
  await db.drop();
});

const rowsFor = async (key: string) => (await fileRows(db.url)).filter((r) => r.key === key);
const messagesFor = async (key: string) => (await sentMessages(aws.topicArn)).filter((m) => m.body.key === key);

test('a normal file: metadata row, result, backup, notification, metrics', async () => {
  const { event, eTag } = await upload(aws.input, 'daily/orders.csv', 'id,name\n1,a\n2,b\n3,c\n');
  const result = await handleS3Event(event, runtime);

  expect(result.files).toHaveLength(1);
  expect(result.files[0]).toMatchObject({ status: 'succeeded', rows: 3, version: eTag, versionKind: 'etag' });

  const [row] = await rowsFor('daily/orders.csv');
  expect(row).toMatchObject({
    bucket: aws.input,
    version: eTag,
    version_kind: 'etag',
    filename: 'orders.csv',
    status: 'succeeded',
    rows_count: '3',
    rows_rejected: '0',
    attempts: 1,
    error: null,
  });
  expect(row.finished_at).toBeInstanceOf(Date);
  expect(row.notified_at).toBeInstanceOf(Date);

  const doc = JSON.parse(await readText(aws.output, 'results/daily/orders.csv.json'));
  expect(doc).toEqual({
    bucket: aws.input,
    key: 'daily/orders.csv',
    version: eTag,
    rows: 3,
    rowsRejected: 0,
    status: 'succeeded',
    started: expect.any(String),
    finished: expect.any(String),
    durationMs: expect.any(Number),
  });
  expect(doc.durationMs).toBe(Date.parse(doc.finished) - Date.parse(doc.started));

  const backups = await listKeys(aws.backup, 'backup/');
  expect(backups).toEqual([expect.stringMatching(/^backup\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\/daily\/orders\.csv$/)]);
  expect(await readText(aws.backup, backups[0])).toBe('id,name\n1,a\n2,b\n3,c\n');

  const [msg] = await messagesFor('daily/orders.csv');
  expect(msg.subject).toBe('[test-pipeline] processed 3 rows: daily/orders.csv');
  expect(msg.attributes.status).toEqual({ Type: 'String', Value: 'succeeded' });
  expect(msg.body).toMatchObject({ pipeline: 'test-pipeline', status: 'succeeded', rows: 3, bucket: aws.input });

  const emf = runtime.metricLines.map((l) => JSON.parse(l)).find((m) => m.Rows === 3);
  expect(emf).toMatchObject({ Pipeline: 'test-pipeline', FilesSucceeded: 1, FilesFailed: 0, Rows: 3 });
  expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'TestNs', Dimensions: [['Pipeline']] });
});

test('a duplicate delivery does nothing: one row, one backup, one message', async () => {
  const { event } = await upload(aws.input, 'dup.csv', 'a\n1\n');
  await handleS3Event(event, runtime);
  const again = await handleS3Event(event, runtime);

  expect(again.files[0]).toMatchObject({ status: 'duplicate', rows: 1 });
  expect(await rowsFor('dup.csv')).toHaveLength(1);
  expect((await listKeys(aws.backup, 'backup/')).filter((k) => k.endsWith('/dup.csv'))).toHaveLength(1);
  expect(await messagesFor('dup.csv')).toHaveLength(1);
});

test('a success message lost to a crash after commit is sent by the retry', async () => {
  const { event } = await upload(aws.input, 'lost-message.csv', 'a\n1\n');
  await handleS3Event(event, runtime);
  // What a crash between COMMIT and publish leaves: succeeded, never notified.
  await query(db.url, "UPDATE file_metadata SET notified_at = NULL WHERE key = 'lost-message.csv'");
  const sentBefore = (await messagesFor('lost-message.csv')).length;

  const retry = await handleS3Event(event, runtime);
  expect(retry.files[0].status).toBe('duplicate');
  expect(await messagesFor('lost-message.csv')).toHaveLength(sentBefore + 1);
  expect((await rowsFor('lost-message.csv'))[0].notified_at).toBeInstanceOf(Date);
});

test('quoted newlines, CRLF and a BOM are counted as records, not lines', async () => {
  const body = '\ufeffid,comment\r\n1,"line one\r\nline two"\r\n2,"say ""hi"""\r\n3,plain\r\n';
  const { event } = await upload(aws.input, 'tricky.csv', body);
  const result = await handleS3Event(event, runtime);
  expect(result.files[0]).toMatchObject({ status: 'succeeded', rows: 3 });
});

test('a header-only file succeeds with 0 rows', async () => {
  const { event } = await upload(aws.input, 'header-only.csv', 'id,name\n');
  const result = await handleS3Event(event, runtime);
  expect(result.files[0]).toMatchObject({ status: 'succeeded', rows: 0 });
});

test('an empty file fails with a clear message, recorded and announced', async () => {
  const { event } = await upload(aws.input, 'empty.csv', '');
  // A content error is final: recorded, announced once, and not retried.
  const result = await handleS3Event(event, runtime);
  expect(result.files[0]).toMatchObject({ status: 'failed', errorKind: 'input', retry: false, error: expect.stringContaining('File is empty (0 bytes)') });

  const [row] = await rowsFor('empty.csv');
  expect(row).toMatchObject({ status: 'failed', rows_count: null, error_kind: 'input' });
  expect(row.error).toMatch(/empty/);
  const doc = JSON.parse(await readText(aws.output, 'results/empty.csv.json'));
  expect(doc).toMatchObject({ status: 'failed', rows: null, error: expect.stringMatching(/empty/) });
  const [msg] = await messagesFor('empty.csv');
  expect(msg.attributes.status.Value).toBe('failed');
  expect(msg.subject).toBe('[test-pipeline] FAILED: empty.csv');
  expect(await listKeys(aws.backup, 'backup/')).not.toContainEqual(expect.stringMatching(/empty\.csv$/));
});

test('a malformed file fails naming the line, once: a second delivery is a quiet duplicate', async () => {
  const { event } = await upload(aws.input, 'ragged.csv', 'a,b\n1,2\n3\n4,5\n');
  const first = await handleS3Event(event, runtime);
  expect(first.files[0]).toMatchObject({ status: 'failed', errorKind: 'input', retry: false, error: expect.stringMatching(/line 3/) });
  // S3 delivers at least once: the second delivery changes nothing and sends nothing.
  const second = await handleS3Event(event, runtime);
  expect(second.files[0]).toMatchObject({ status: 'duplicate', retry: false, reason: expect.stringMatching(/already failed on its content: .*line 3/) });
  expect(await messagesFor('ragged.csv')).toHaveLength(1);
  expect((await rowsFor('ragged.csv'))[0]).toMatchObject({ status: 'failed', attempts: 1 });
});

test('a file that is not UTF-8 fails naming the line', async () => {
  const body = Buffer.concat([Buffer.from('name\nok\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])]);
  const { event } = await upload(aws.input, 'latin1.csv', body);
  const result = await handleS3Event(event, runtime);
  expect(result.files[0]).toMatchObject({ status: 'failed', errorKind: 'input', error: expect.stringContaining('invalid byte 0xE9 on line 3') });
});

test('keys with spaces and non-ASCII characters are decoded from the event', async () => {
  const key = 'in box/Données été +1.csv';
  const { event } = await upload(aws.input, key, 'a\n1\n2\n');
  expect(event.Records[0].s3.object.key).toBe('in+box/Donn%C3%A9es+%C3%A9t%C3%A9+%2B1.csv');
  const result = await handleS3Event(event, runtime);
  expect(result.files[0]).toMatchObject({ status: 'succeeded', key, rows: 2 });
  expect(await exists(aws.output, `results/${key}.json`)).toBe(true);
  expect((await listKeys(aws.backup, 'backup/')).some((k) => k.endsWith(`/${key}`))).toBe(true);
  const [msg] = await messagesFor(key);
  expect(msg.subject).toMatch(/^[\x20-\x7e]+$/);
});

test('a deleted object is a final outcome: recorded as gone, no message, no result, no retry', async () => {
  const event = s3Event(aws.input, 'gone.csv', { eTag: 'd41d8cd98f00b204e9800998ecf8427e', size: 10 });
  for (let delivery = 1; delivery <= 2; delivery++) {
    const result = await handleS3Event(event, runtime);
    expect(result.files[0]).toMatchObject({ status: delivery === 1 ? 'gone' : 'duplicate', retry: false });
  }
  expect((await rowsFor('gone.csv'))[0]).toMatchObject({ status: 'gone', rows_count: null, error: expect.stringMatching(/gone\.csv .* does not exist/) });
  expect(await messagesFor('gone.csv')).toEqual([]);
  expect(await exists(aws.output, 'results/gone.csv.json')).toBe(false);
});

test('a stale event for an overwritten object is superseded: the newer upload keeps its result, one message in all', async () => {
  const first = await upload(aws.input, 'overwritten.csv', 'a\n1\n');
  const second = await upload(aws.input, 'overwritten.csv', 'a\n1\n2\n');
  expect((await handleS3Event(second.event, runtime)).files[0]).toMatchObject({ status: 'succeeded', rows: 2 });
  const stale = await handleS3Event(first.event, runtime);
  expect(stale.files[0]).toMatchObject({ status: 'superseded', retry: false, reason: expect.stringMatching(/overwritten since the event/) });
  expect(JSON.parse(await readText(aws.output, 'results/overwritten.csv.json'))).toMatchObject({ status: 'succeeded', rows: 2, version: second.eTag });
  expect((await messagesFor('overwritten.csv')).map((m) => m.attributes.status.Value)).toEqual(['succeeded']);
  expect((await rowsFor('overwritten.csv')).map((r) => r.status).sort()).toEqual(['succeeded', 'superseded']);
});

test('s3:TestEvent is ignored; an event without records is an error; deletions are skipped', async () => {
  const before = (await fileRows(db.url)).length;
  await expect(handleS3Event({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: aws.input }, runtime))
    .resolves.toEqual({ ignored: 's3:TestEvent', files: [] });
  await expect(handleS3Event({ Records: [] }, runtime)).rejects.toThrow(/without any/);
  await expect(handleS3Event({ hello: 'world' }, runtime)).rejects.toThrow(/without any/);
  await expect(handleS3Event(s3Event(aws.input, 'x.csv', {}, 'ObjectRemoved:Delete'), runtime)).resolves.toEqual({ files: [] });
  expect(await fileRows(db.url)).toHaveLength(before);
});
