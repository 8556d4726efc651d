/**
 * SNS unavailable when the file is done: the load stays committed
 * (succeeded, exact rows, result and backup written), the outcome asks for a
 * retry, and the retry (a duplicate) sends the missing message exactly once.
 * Two ways for SNS to be unavailable: nothing listening at its endpoint (a
 * real SDK client pointed at a closed port), and a topic that does not exist.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { expected, faultRuntime, FaultRuntime, generateCsv, sinksEnv, statusesSent, tableChecksum, tableSink } from './fault-helpers';
import { SnsNotifier } from '../../../src/runtime/aws/sns-notifier';
import { handleEvent } from '../../../src/runtime/entry/handle-event';
import { createTestDatabase } from '../../support/db';
import { motoClientConfig } from '../../support/moto';
import { freePort } from '../../support/services';
import { closeHelpers, createAws, fileRows, listKeys, readText, sentMessages, sqsEvent, TestAws, upload } from '../helpers';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;

beforeAll(async () => {
  [db, aws] = await Promise.all([createTestDatabase('snsf'), createAws()]);
});

afterAll(async () => {
  closeHelpers();
  await db?.drop();
});

const rowsFor = async (key: string) => (await fileRows(db.url)).filter((r) => r.key === key);
const backupsOf = async (key: string) => (await listKeys(aws.backup, 'backup/')).filter((k) => k.endsWith(`/${key}`));

/** What must hold after the failed publish: everything but the message. */
async function loadedButNotAnnounced(key: string, table: string, csv: ReturnType<typeof generateCsv>) {
  expect(await tableChecksum(db.url, table)).toEqual(expected(csv));
  expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1, rows_count: String(csv.rows), notified_at: null })]);
  expect(JSON.parse(await readText(aws.output, `results/${key}.json`))).toMatchObject({ status: 'succeeded', rows: csv.rows });
  expect(await backupsOf(key)).toHaveLength(1);
  expect(await statusesSent(aws.topicArn, key)).toEqual([]);
}

/** The retry with SNS back: a duplicate that sends the one missing message; the next delivery sends nothing. */
async function retrySendsOnce(runtime: FaultRuntime, event: unknown, key: string, table: string, csv: ReturnType<typeof generateCsv>) {
  const retry = await handleEvent(sqsEvent(event), runtime);
  expect(retry.batchItemFailures).toEqual([]);
  expect(retry.files).toEqual([expect.objectContaining({ status: 'duplicate', rows: csv.rows })]);
  expect(await statusesSent(aws.topicArn, key)).toEqual(['succeeded']);
  expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1, notified_at: expect.any(Date) })]);
  const again = await handleEvent(sqsEvent(event), runtime);
  expect(again.files).toEqual([expect.objectContaining({ status: 'duplicate' })]);
  expect(await statusesSent(aws.topicArn, key)).toEqual(['succeeded']);
  expect(await tableChecksum(db.url, table)).toEqual(expected(csv));
  expect(await backupsOf(key)).toHaveLength(1);
}

test('nothing listening at the SNS endpoint: succeeded and retried; the retries send the message once, when SNS is back', async () => {
  const table = 'sns_dead';
  const runtime = faultRuntime(aws, db.url, { env: sinksEnv(tableSink(table)) });
  const dead = new SNSClient({ ...motoClientConfig(), endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 2 });
  const down = { ...runtime, notifier: new SnsNotifier(dead, aws.topicArn) };
  try {
    const key = 'sns-faults/dead-endpoint.csv';
    const csv = generateCsv(500, 'dead');
    const { event } = await upload(aws.input, key, csv.body);
    const first = await handleEvent(sqsEvent(event), down);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(first.files).toEqual([expect.objectContaining({
      status: 'succeeded', rows: csv.rows, retry: true, error: expect.stringMatching(/^processed, but the notification failed: .*ECONNREFUSED/),
    })]);
    await loadedButNotAnnounced(key, table, csv);

    // Still down at the first retry: a duplicate, retried again, nothing loaded twice.
    const stillDown = await handleEvent(sqsEvent(event), down);
    expect(stillDown.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(stillDown.files).toEqual([expect.objectContaining({ status: 'duplicate', retry: true, error: expect.stringMatching(/notification failed/) })]);
    await loadedButNotAnnounced(key, table, csv);

    await retrySendsOnce(runtime, event, key, table, csv);
  } finally {
    dead.destroy();
    await runtime.close();
  }
});

test('a topic that does not exist: succeeded and retried; once the topic is right, the retry sends the message once', async () => {
  const table = 'sns_missing';
  const missingTopic = aws.topicArn.replace(/[^:]+$/, 'no-such-topic');
  const broken = faultRuntime(aws, db.url, { env: { ...sinksEnv(tableSink(table)), PIPELINE_TOPIC_ARN: missingTopic } });
  const fixed = faultRuntime(aws, db.url, { env: sinksEnv(tableSink(table)) });
  try {
    const key = 'sns-faults/missing-topic.csv';
    const csv = generateCsv(500, 'missing');
    const { event } = await upload(aws.input, key, csv.body);
    const first = await handleEvent(sqsEvent(event), broken);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(first.files).toEqual([expect.objectContaining({
      status: 'succeeded', retry: true, error: expect.stringMatching(/^processed, but the notification failed: .*(not exist|not found)/i),
    })]);
    await loadedButNotAnnounced(key, table, csv);
    await retrySendsOnce(fixed, event, key, table, csv);
  } finally {
    await Promise.all([broken.close(), fixed.close()]);
  }
});

test('SNS down when a file fails on its content: recorded at once, delivered again only to send the lost failure message, once', async () => {
  const table = 'sns_bad_content';
  const runtime = faultRuntime(aws, db.url, { env: sinksEnv(tableSink(table)) });
  const dead = new SNSClient({ ...motoClientConfig(), endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 2 });
  const down = { ...runtime, notifier: new SnsNotifier(dead, aws.topicArn) };
  try {
    const key = 'sns-faults/bad-content.csv';
    const { event } = await upload(aws.input, key, 'id,name,amount\n1,a,1.00\n2,b,not-a-number\n');
    const first = await handleEvent(sqsEvent(event), down);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(first.files).toEqual([expect.objectContaining({
      status: 'failed', errorKind: 'input', retry: true, error: expect.stringMatching(/line 3/), reason: expect.stringMatching(/failure notification could not be sent: .*ECONNREFUSED/),
    })]);
    expect(await tableChecksum(db.url, table)).toEqual({ rows: 0, md5: null });
    expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'failed', error_kind: 'input', attempts: 1, notified_at: null })]);
    expect(JSON.parse(await readText(aws.output, `results/${key}.json`))).toMatchObject({ status: 'failed', error: first.files[0].error });
    expect(await statusesSent(aws.topicArn, key)).toEqual([]);

    // Redelivered while SNS is still down: nothing processed again, delivered again.
    const stillDown = await handleEvent(sqsEvent(event), down);
    expect(stillDown.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(stillDown.files).toEqual([expect.objectContaining({ status: 'duplicate', retry: true })]);
    expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, notified_at: null })]);

    const back = await handleEvent(sqsEvent(event), runtime);
    expect(back.batchItemFailures).toEqual([]);
    expect(back.files).toEqual([expect.objectContaining({ status: 'duplicate', retry: false })]);
    const sent = (await sentMessages(aws.topicArn)).filter((m) => m.body.key === key);
    expect(sent.map((m) => [m.body.status, m.body.error])).toEqual([['failed', first.files[0].error]]);
    expect(await rowsFor(key)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, notified_at: expect.any(Date) })]);
    const quiet = await handleEvent(sqsEvent(event), runtime);
    expect(quiet.files).toEqual([expect.objectContaining({ status: 'duplicate', retry: false })]);
    expect(await statusesSent(aws.topicArn, key)).toEqual(['failed']);
  } finally {
    dead.destroy();
    await runtime.close();
  }
});
