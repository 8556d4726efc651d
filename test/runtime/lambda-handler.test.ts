/**
 * The bundled entry point as Lambda calls it: configuration only from the
 * environment, AWS endpoints from the SDK's own AWS_ENDPOINT_URL support.
 * The runtime is built on the first invocation, after beforeAll set the env.
 */
import { handlerEnvironment } from './handler-env';
import { closeHelpers, createAws, fileRows, runtimeEnv, TestAws, upload } from './helpers';
import { handler } from '../../src/runtime/entry/processor.lambda';
import { createTestDatabase } from '../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
let written: string[] = [];
const env = handlerEnvironment();

beforeAll(async () => {
  db = await createTestDatabase('lam');
  aws = await createAws();
  // Capture the EMF lines the handler writes to stdout.
  env.enter(runtimeEnv(aws, db.url), (chunk) => written.push(chunk));
});

afterAll(async () => {
  await env.leave();
  closeHelpers();
  await db.drop();
});

test('handler processes an S3 event with the environment the construct sets', async () => {
  const { event } = await upload(aws.input, 'via-handler.csv', 'x,y\n1,2\n');
  written = [];
  const result = await handler(event) as { files: { status: string; rows: number }[] };
  expect(result.files[0]).toMatchObject({ status: 'succeeded', rows: 1 });
  expect((await fileRows(db.url)).map((r) => r.key)).toContain('via-handler.csv');

  const emf = written.map((l) => JSON.parse(l));
  expect(emf).toEqual([expect.objectContaining({ Pipeline: 'test-pipeline', FilesSucceeded: 1, Rows: 1 })]);
});

test('a bad file is a final outcome: the handler returns it (no Lambda retry) and emits FilesFailed', async () => {
  const { event } = await upload(aws.input, 'bad-via-handler.csv', 'x,y\n"1,2\n');
  written = [];
  const result = await handler(event) as { files: { status: string; error: string; retry: boolean }[] };
  expect(result.files[0]).toMatchObject({ status: 'failed', retry: false, error: expect.stringMatching(/quoted field starting on line 2 is never closed/) });
  expect(written.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ FilesFailed: 1, FilesSucceeded: 0 })]);
});

test('{"action":"migrate"} only prepares the schema', async () => {
  await expect(handler({ action: 'migrate' })).resolves.toEqual({ migrated: true });
});

test('a direct invocation without a payload (the deploy-time trigger) migrates, and processes nothing', async () => {
  const before = (await fileRows(db.url)).length;
  await expect(handler({})).resolves.toEqual({ migrated: true });
  await expect(handler(null)).resolves.toEqual({ migrated: true });
  expect((await fileRows(db.url)).length).toBe(before);
});

test('an event that is neither S3 nor a migration is an error, not a silent no-op', async () => {
  await expect(handler({ Records: 'nope' })).rejects.toThrow('Expected an S3 event notification with Records, got an event without any');
  await expect(handler({ foo: 1 })).rejects.toThrow('Expected an S3 event notification with Records, got an event without any');
});
