/**
 * The processor's queue: S3 notifications arrive in SQS messages, and only
 * the messages whose files failed for a reason of the pipeline come back as
 * batch item failures. Also: a bucket that is input and output at once, and
 * the sink configuration shipped as a file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { closeHelpers, createAws, fileRows, sqsEvent, TestAws, testRuntime, upload } from './helpers';
import { readRuntimeConfig } from '../../src/runtime/contract/config';
import { handleEvent } from '../../src/runtime/entry/handle-event';
import { createTestDatabase } from '../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;

beforeAll(async () => {
  db = await createTestDatabase('q');
  aws = await createAws();
});

afterAll(async () => {
  closeHelpers();
  await db.drop();
});

test('a batch: good, bad content and a test event are done; an unreadable message is the only failure', async () => {
  const runtime = testRuntime(aws, db.url);
  try {
    const good = await upload(aws.input, 'q-good.csv', 'a\n1\n2\n');
    const bad = await upload(aws.input, 'q-bad.csv', 'a,b\n"1,2\n');
    const test = { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: aws.input };
    const result = await handleEvent(sqsEvent(good.event, bad.event, test, 'not json'), runtime);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-3' }]);
    expect(result.files.map((f) => [f.key, f.status, f.retry])).toEqual([['q-good.csv', 'succeeded', undefined], ['q-bad.csv', 'failed', false]]);
  } finally {
    await runtime.close();
  }
});

test('a failure of the pipeline itself (here: no backup bucket) is a batch item failure, so SQS retries it', async () => {
  const runtime = testRuntime(aws, db.url, { PIPELINE_BACKUP_BUCKET: 'no-such-backup-bucket' });
  try {
    const { event } = await upload(aws.input, 'q-internal.csv', 'a\n1\n');
    const result = await handleEvent(sqsEvent(event), runtime);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(result.files[0]).toMatchObject({ status: 'failed', errorKind: 'internal', retry: true });
  } finally {
    await runtime.close();
  }
});

test('one bucket as input and output: the pipeline never processes its own results, rejects or backups', async () => {
  const runtime = testRuntime(aws, db.url, { PIPELINE_OUTPUT_BUCKET: aws.input, PIPELINE_BACKUP_BUCKET: aws.input });
  try {
    const { event } = await upload(aws.input, 'incoming/shared.csv', 'a\n1\n');
    expect((await handleEvent(sqsEvent(event), runtime)).files).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    const own = await Promise.all(['rejects/x.csv', 'backup/2026-12-01T00-00-00Z/incoming/shared.csv', 'results/x.csv'].map((k) => upload(aws.input, k, 'a\n1\n')));
    const result = await handleEvent(sqsEvent(...own.map((o) => o.event)), runtime);
    expect(result).toEqual({ files: [], batchItemFailures: [] });
    expect((await fileRows(db.url)).filter((r) => r.bucket === aws.input && /^(rejects|backup|results)\//.test(r.key))).toEqual([]);
  } finally {
    await runtime.close();
  }
});

describe('sink configuration from a file (PIPELINE_SINKS_FILE)', () => {
  const base = { PIPELINE_OUTPUT_BUCKET: 'o', PIPELINE_BACKUP_BUCKET: 'b', PIPELINE_DATABASE_URL: 'postgres://h/d' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-sinks-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const columns = Array.from({ length: 300 }, (_, i) => ({ name: `c${i}`, type: 'numeric(12,2)', nullable: true }));
  const sinks = [{ kind: 'postgresTable', schema: 'public', table: 'wide', columns, badRows: 'FAIL_FILE', extraColumns: 'IGNORE' }];

  test('a 300-column table is read from the file', () => {
    const file = path.join(dir, 'sinks.json');
    fs.writeFileSync(file, JSON.stringify(sinks));
    expect(JSON.stringify(sinks).length).toBeGreaterThan(4096);
    expect(readRuntimeConfig({ ...base, PIPELINE_SINKS_FILE: file }).sinks).toEqual(sinks);
  });

  test('both the variable and the file, an unreadable file, bad JSON: errors that name them', () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '[{"kind": ');
    expect(() => readRuntimeConfig({ ...base, PIPELINE_SINKS: '[]', PIPELINE_SINKS_FILE: file }))
      .toThrow('Set PIPELINE_SINKS or PIPELINE_SINKS_FILE, not both');
    expect(() => readRuntimeConfig({ ...base, PIPELINE_SINKS_FILE: path.join(dir, 'missing.json') }))
      .toThrow(`PIPELINE_SINKS_FILE names ${path.join(dir, 'missing.json')}, which cannot be read: ENOENT`);
    expect(() => readRuntimeConfig({ ...base, PIPELINE_SINKS_FILE: file }))
      .toThrow(`${file} (PIPELINE_SINKS_FILE) is not valid JSON`);
  });
});
