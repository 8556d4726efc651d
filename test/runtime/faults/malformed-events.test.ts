/**
 * Malformed input from the outside: events that are not S3 notifications,
 * keys S3 could never have sent or that the output layout cannot hold, `..`
 * key segments. Each ends in a clear, logged outcome; none writes outside the
 * pipeline's prefixes or touches the tables.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { closeHelpers, createAws, encodeEventKey, fileRows, listKeys, readText, s3Event, sentMessages, sqsEvent, TestAws, upload } from '../helpers';
import { faultRuntime, generateCsv, sinksEnv, tableChecksum, tableSink } from './fault-helpers';
import { handleEvent } from '../../../src/runtime/entry/handle-event';
import { LocalStorage } from '../../../src/runtime/local/local-storage';
import { createTestDatabase } from '../../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;

beforeAll(async () => {
  [db, aws] = await Promise.all([createTestDatabase('evf'), createAws()]);
});

afterAll(async () => {
  closeHelpers();
  await db?.drop();
});

/** An SQS message body holding one S3 record with this raw (already encoded) key. */
const rawKeyEvent = (key: string) => {
  const event = s3Event(aws.input, 'placeholder.csv', { eTag: 'd41d8cd98f00b204e9800998ecf8427e', size: 10 });
  (event.Records[0].s3.object as { key: string }).key = key;
  return event;
};

describe('malformed events', () => {
  test('a batch of bad messages: each one a batch item failure with a logged reason; the good one is loaded, nothing else recorded', async () => {
    const runtime = faultRuntime(aws, db.url, { env: sinksEnv() });
    try {
      const good = await upload(aws.input, 'events/good.csv', generateCsv(20, 'g').body);
      const bodies: unknown[] = [
        'not json {',
        { hello: 'world' },
        { Records: [] },
        { Records: [{ eventSource: 'aws:kinesis', kinesis: { data: 'eA==' } }] },
        { 'version': '0', 'detail-type': 'Object Created', 'source': 'aws.s3', 'detail': { bucket: { name: aws.input }, object: { key: 'events/good.csv' } } },
        rawKeyEvent('bad%E0%A4encoding.csv'),
        rawKeyEvent('k'.repeat(1025)),
        good.event,
      ];
      const result = await handleEvent(sqsEvent(...bodies), runtime);
      expect(result.batchItemFailures).toEqual(bodies.slice(0, -1).map((_, i) => ({ itemIdentifier: `m-${i}` })));
      expect(result.files).toEqual([expect.objectContaining({ key: 'events/good.csv', status: 'succeeded', rows: 20 })]);
      const logged = runtime.logs.filter((l) => l.level === 'error').map((l) => String(l.error));
      expect(logged).toEqual([
        expect.stringMatching(/^message m-0: .*JSON/),
        'message m-1: Expected an S3 event notification with Records, got an event without any',
        'message m-2: Expected an S3 event notification with Records, got an event without any',
        'message m-3: Record 0 is not an S3 record with a bucket and an object key',
        'message m-4: Expected an S3 event notification with Records, got an event without any',
        'message m-5: S3 event key is not valid URL encoding: "bad%E0%A4encoding.csv"',
        'message m-6: Record 0 has a key of 1025 bytes; S3 keys are at most 1024 bytes',
      ]);
      expect((await fileRows(db.url)).map((r) => r.key)).toEqual(['events/good.csv']);
    } finally {
      await runtime.close();
    }
  });

  test('invoked directly with something that is no S3 notification: the invocation fails and says why', async () => {
    const runtime = faultRuntime(aws, db.url);
    try {
      await expect(handleEvent({ 'detail-type': 'Object Created', 'source': 'aws.s3', 'detail': {} }, runtime)).rejects.toThrow('without any');
      await expect(handleEvent(null, runtime)).rejects.toThrow('Expected an S3 event notification, got null');
      await expect(handleEvent({ Records: [{ eventSource: 'aws:sns', Sns: {} }] }, runtime)).rejects.toThrow('Record 0 is not an S3 record');
      await expect(handleEvent(s3Event(aws.input, 'x'.repeat(1100)), runtime)).rejects.toThrow('Record 0 has a key of 1100 bytes; S3 keys are at most 1024 bytes');
    } finally {
      await runtime.close();
    }
  });

  test('a key S3 accepts but whose backup key would not fit in 1024 bytes: a clear content error, not endless retries', async () => {
    const runtime = faultRuntime(aws, db.url, { env: sinksEnv() });
    try {
      // 1000 bytes: a valid S3 key; backup/<timestamp>/ adds 28.
      const key = `long/${'é'.repeat(300)}${'k'.repeat(391)}.csv`;
      expect(Buffer.byteLength(key)).toBe(1000);
      const { event } = await upload(aws.input, key, generateCsv(3, 'long').body);
      const out = await handleEvent(sqsEvent(event), runtime);
      expect(out.batchItemFailures).toEqual([]);
      expect(out.files).toEqual([expect.objectContaining({
        status: 'failed',
        errorKind: 'input',
        retry: false,
        error: expect.stringMatching(/^The key is 1000 bytes long: its backup key backup\/<time>\/<key> would be 1028 bytes, over S3's limit of 1024/),
      })]);
      expect((await fileRows(db.url)).filter((r) => r.key === key)).toEqual([expect.objectContaining({ status: 'failed', error_kind: 'input' })]);
      expect((await listKeys(aws.backup, 'backup/')).filter((k) => k.startsWith('backup/') && k.includes('/long/'))).toEqual([]);
      expect((await sentMessages(aws.topicArn)).filter((m) => m.body.key === key).map((m) => m.body.status)).toEqual(['failed']);
    } finally {
      await runtime.close();
    }
  });

  test('`..` and `.` key segments are literal S3 key characters: outputs stay under results/ and backup/', async () => {
    const runtime = faultRuntime(aws, db.url, { env: sinksEnv(tableSink('dots')) });
    try {
      const keys = ['dots/../../escape.csv', '../top.csv', 'a/./b/../c.csv'];
      const csv = generateCsv(4, 'dots');
      const uploads = [];
      for (const key of keys) uploads.push(await upload(aws.input, key, csv.body));
      expect(uploads[0].event.Records[0].s3.object.key).toBe(encodeEventKey(keys[0]));
      const out = await handleEvent(sqsEvent(...uploads.map((u) => u.event)), runtime);
      expect(out.batchItemFailures).toEqual([]);
      expect(out.files.map((f) => [f.key, f.status])).toEqual(keys.map((k) => [k, 'succeeded']));

      expect((await listKeys(aws.output)).filter((k) => k.includes('..') || k.includes('/./'))).toEqual(keys.map((k) => `results/${k}.json`).sort());
      for (const key of keys) expect(JSON.parse(await readText(aws.output, `results/${key}.json`))).toMatchObject({ key, status: 'succeeded' });
      const backups = await listKeys(aws.backup);
      expect(backups.every((k) => k.startsWith('backup/'))).toBe(true);
      for (const key of keys) expect(backups.filter((k) => k.endsWith(`Z/${key}`))).toHaveLength(1);
      // Nothing outside the prefixes in either bucket.
      expect((await listKeys(aws.output)).filter((k) => !k.startsWith('results/') && !k.startsWith('rejects/'))).toEqual([]);
      // Three files of the same rows, each its own key: the table holds each once.
      expect((await tableChecksum(db.url, 'dots')).rows).toBe(3 * csv.rows);
    } finally {
      await runtime.close();
    }
  });

  test('the CLI\'s local output directory refuses a key that would climb out of it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-dots-'));
    try {
      const storage = new LocalStorage(path.join(dir, 'out'));
      const ref = { bucket: 'local', key: '../../escape.csv', version: 'v', versionKind: 'sha256' as const, filename: 'escape.csv' };
      const doc = { bucket: 'local', key: ref.key, version: 'v', rows: 1, rowsRejected: 0, status: 'succeeded' as const, started: '', finished: '', durationMs: 0 };
      await expect(storage.writeResult(ref, doc)).rejects.toThrow(/^Refusing to write outside /);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
