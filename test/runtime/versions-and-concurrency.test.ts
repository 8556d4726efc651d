/** Versioned buckets and deliveries that race each other. */
import { closeHelpers, createAws, fileRows, listKeys, sentMessages, TestAws, testRuntime, TestRuntime, upload } from './helpers';
import { S3Source } from '../../src/runtime/aws/s3-source';
import { processFile } from '../../src/runtime/core/process-file';
import { handleS3Event } from '../../src/runtime/entry/handle-event';
import { createTestDatabase } from '../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
let runtime: TestRuntime;

beforeAll(async () => {
  db = await createTestDatabase('ver');
  aws = await createAws({ versioned: true });
  runtime = testRuntime(aws, db.url);
});

afterAll(async () => {
  await runtime.close();
  closeHelpers();
  await db.drop();
});

test('two versions of one key are two files, and a late event for the older one is superseded', async () => {
  const v1 = await upload(aws.input, 'orders.csv', 'id\n1\n');
  const v2 = await upload(aws.input, 'orders.csv', 'id\n1\n2\n');
  expect(v1.versionId).toBeDefined();
  expect(v1.versionId).not.toBe(v2.versionId);

  // Delivered out of order on purpose: the older version, read by its own id, changes nothing.
  const r2 = await handleS3Event(v2.event, runtime);
  const r1 = await handleS3Event(v1.event, runtime);
  expect(r2.files[0]).toMatchObject({ status: 'succeeded', rows: 2, version: v2.versionId, versionKind: 'version-id' });
  expect(r1.files[0]).toMatchObject({ status: 'superseded', version: v1.versionId, reason: expect.stringMatching(/newer version .* already loaded/) });

  const rows = (await fileRows(db.url)).filter((r) => r.key === 'orders.csv');
  expect(rows.map((r) => [r.version, r.status, r.rows_count]).sort()).toEqual(
    [[v1.versionId, 'superseded', null], [v2.versionId, 'succeeded', '2']].sort(),
  );
});

test('two concurrent deliveries of one file: processed once, announced once', async () => {
  const { event, versionId } = await upload(aws.input, 'race.csv', 'id\n1\n2\n3\n');
  const record = { bucket: aws.input, key: 'race.csv', versionId };
  // Separate runtimes, as in separate Lambda containers: separate pools and connections.
  const containers = [1, 2, 3].map(() => testRuntime(aws, db.url));
  const results = await Promise.all(containers.map((c) => processFile(new S3Source(c.s3, record), c)));
  await Promise.all(containers.map((c) => c.close()));

  // The others end at once (in progress elsewhere), or see the finished file (duplicate): never a second load.
  const others = results.filter((r) => r.status !== 'succeeded');
  expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(1);
  expect(others).toHaveLength(2);
  for (const other of others) expect(['in-progress', 'duplicate']).toContain(other.status);
  expect(others.every((o) => o.retry === false)).toBe(true);
  const rows = (await fileRows(db.url)).filter((r) => r.key === 'race.csv');
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: 'succeeded', attempts: 1, rows_count: '3' });
  expect((await listKeys(aws.backup, 'backup/')).filter((k) => k.endsWith('/race.csv'))).toHaveLength(1);
  expect((await sentMessages(aws.topicArn)).filter((m) => m.body.key === 'race.csv')).toHaveLength(1);
  expect(event.Records[0].s3.object.versionId).toBe(versionId);
});
