/**
 * `{"reprocess": {...}}` through the Lambda's real entry point, against
 * PostgreSQL and moto: the zip and container Lambdas' `--force` for one
 * object version.
 */
import { handler } from '../../../src/runtime/entry/processor.lambda';
import { createTestDatabase } from '../../support/db';
import { handlerEnvironment } from '../handler-env';
import { closeHelpers, createAws, fileRows, putObject, query, runtimeEnv, s3Event, tableSinkConfig, TestAws } from '../helpers';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
const env = handlerEnvironment();

beforeAll(async () => {
  db = await createTestDatabase('repr');
  aws = await createAws({ versioned: true });
  const table = tableSinkConfig('reprocessed', [{ name: 'id', type: 'integer', nullable: false }, { name: 'name', type: 'text', nullable: true }]);
  env.enter({ ...runtimeEnv(aws, db.url), PIPELINE_SINKS: JSON.stringify([table]) });
  await handler({ action: 'migrate' });
});

afterAll(async () => {
  await env.leave();
  closeHelpers();
  await db.drop();
});

const context = { getRemainingTimeInMillis: () => 60_000 };

test('reprocess loads a version again that already succeeded, replacing its rows; a plain redelivery stays a duplicate', async () => {
  const put = await putObject(aws.input, 'again/orders.csv', 'id,name\n1,a\n2,b\n');
  const event = s3Event(aws.input, 'again/orders.csv', { versionId: put.versionId });
  expect((await handler(event, context) as any).files[0]).toMatchObject({ status: 'succeeded', rows: 2 });
  expect((await handler(event, context) as any).files[0]).toMatchObject({ status: 'duplicate' });
  const again = await handler({ reprocess: { bucket: aws.input, key: 'again/orders.csv', versionId: put.versionId } }, context) as any;
  expect(again).toMatchObject({ status: 'succeeded', rows: 2, attempt: 2, version: put.versionId });
  expect(again.cause).toBeUndefined();
  expect(await query(db.url, 'SELECT id, name FROM reprocessed ORDER BY id')).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
  const [row] = (await fileRows(db.url)).filter((r) => r.key === 'again/orders.csv');
  expect(row).toMatchObject({ status: 'succeeded', attempts: 2 });
});

describe('a malformed reprocess names the field', () => {
  test.each<[string, unknown, string]>([
    ['not an object', 'x', 'reprocess must be an object with bucket, key and optionally versionId, got "x"'],
    ['no key', { bucket: 'b' }, 'reprocess.key must be a non-empty string, got nothing'],
    ['an empty bucket', { bucket: '', key: 'k' }, 'reprocess.bucket must be a non-empty string, got ""'],
    ['a numeric version', { bucket: 'b', key: 'k', versionId: 3 }, 'reprocess.versionId must be a non-empty string when given, got 3'],
  ])('%s', async (_name, reprocess, message) => {
    await expect(handler({ reprocess }, context)).rejects.toThrow(message);
  });

  test('the pipeline\'s own outputs are refused', async () => {
    await expect(handler({ reprocess: { bucket: aws.output, key: 'results/x.csv.json' } }, context))
      .rejects.toThrow('reprocess.key results/x.csv.json is under results/ of the pipeline\'s own output bucket');
  });
});
