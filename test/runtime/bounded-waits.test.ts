/**
 * Every wait is bounded by the time the host leaves: a file that outruns it
 * is recorded as failed and delivered again before the hard timeout, a
 * second delivery of a file being loaded ends at once, and a wait for
 * another version of the key gives up in time.
 */
import { Readable } from 'stream';
import { closeHelpers, createAws, fileRows, query, readText, sqsEvent, TestAws, testRuntime, upload } from './helpers';
import { RowSink } from '../../src/runtime/contract/sink-api';
import { DeadlineExceededError, startBudget } from '../../src/runtime/core/deadline';
import { registerSinkFactory } from '../../src/runtime/core/sinks';
import { handleEvent } from '../../src/runtime/entry/handle-event';
import { createTestDatabase } from '../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;

/** Takes `seconds` inside the load transaction, like a long COPY. */
const sleepySink = (config: { seconds?: number }): RowSink => ({
  async load(client) {
    await client!.query('SELECT pg_sleep($1)', [config.seconds ?? 1]);
    return { rowsLoaded: 1, rowsRejected: 0 };
  },
  async discard() {},
});

beforeAll(async () => {
  db = await createTestDatabase('bw');
  aws = await createAws({ versioned: true });
  registerSinkFactory('sleepy', (c) => sleepySink(c as { seconds?: number }));
});

afterAll(async () => {
  closeHelpers();
  await db.drop();
});

const sleepy = (seconds: number) => ({ PIPELINE_SINKS: JSON.stringify([{ kind: 'sleepy', seconds }]) });

/** A host limit `ms` from now, as Lambda's getRemainingTimeInMillis reports it. */
const limit = (ms: number) => {
  const end = Date.now() + ms;
  return () => end - Date.now();
};

const advisoryLocks = async () => (await query(db.url, "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'"))[0].n;

test('a file that outruns the time limit is marked failed and delivered again, before the hard timeout', async () => {
  const runtime = testRuntime(aws, db.url, sleepy(30));
  try {
    const { event } = await upload(aws.input, 'too-long.csv', 'a\n1\n');
    const started = Date.now();
    const result = await handleEvent(sqsEvent(event), { ...runtime, remainingMs: limit(4000), finishMarginMs: 1500 });
    const took = Date.now() - started;
    expect(took).toBeLessThan(4000);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(result.files[0]).toMatchObject({ status: 'failed', errorKind: 'internal', retry: true, error: expect.stringMatching(/^ran out of time: stopped after 2\d{3} ms/) });
    const [row] = (await fileRows(db.url)).filter((r) => r.key === 'too-long.csv');
    expect(row).toMatchObject({ status: 'failed', error_kind: 'internal', error: expect.stringMatching(/ran out of time/) });
    expect(JSON.parse(await readText(aws.output, 'results/too-long.csv.json'))).toMatchObject({ status: 'failed' });
    expect(await advisoryLocks()).toBe(0);
    // The pooled connection went back without the run's limits.
    const client = await runtime.database!.connect();
    try {
      expect((await client.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('0');
    } finally {
      client.release();
    }
  } finally {
    await runtime.close();
  }
});

test('a second delivery while the file is being loaded ends at once as in progress elsewhere, not as an error', async () => {
  const [first, second] = [testRuntime(aws, db.url, sleepy(3)), testRuntime(aws, db.url, sleepy(3))];
  try {
    const { event } = await upload(aws.input, 'busy.csv', 'a\n1\n');
    const running = handleEvent(sqsEvent(event), { ...first, remainingMs: limit(60_000) });
    await waitFor(async () => (await fileRows(db.url)).some((r) => r.key === 'busy.csv' && r.attempts === 1));
    const started = Date.now();
    const dup = await handleEvent(sqsEvent(event), { ...second, remainingMs: limit(60_000) });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(dup.batchItemFailures).toEqual([]);
    expect(dup.files[0]).toMatchObject({ status: 'in-progress', retry: false, reason: 'another run is processing this version right now' });
    expect((await running).files[0]).toMatchObject({ status: 'succeeded' });
    expect((await fileRows(db.url)).filter((r) => r.key === 'busy.csv')).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1 })]);
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

test('another version of the key waits at most the time left, then is delivered again and replaces the first', async () => {
  const [first, second] = [testRuntime(aws, db.url, sleepy(4)), testRuntime(aws, db.url, sleepy(0))];
  try {
    const v1 = await upload(aws.input, 'two-versions.csv', 'a\n1\n');
    const v2 = await upload(aws.input, 'two-versions.csv', 'a\n2\n');
    const running = handleEvent(sqsEvent(v1.event), { ...first, remainingMs: limit(60_000) });
    await waitFor(async () => (await fileRows(db.url)).some((r) => r.version === v1.versionId && r.attempts === 1));
    const started = Date.now();
    const waited = await handleEvent(sqsEvent(v2.event), { ...second, remainingMs: limit(3000), finishMarginMs: 1000 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(waited.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(waited.files[0]).toMatchObject({ status: 'in-progress', retry: true, reason: expect.stringMatching(/another version of this key/) });
    expect((await running).files[0]).toMatchObject({ status: 'succeeded', version: v1.versionId });
    const again = await handleEvent(sqsEvent(v2.event), { ...second, remainingMs: limit(60_000) });
    expect(again.files[0]).toMatchObject({ status: 'succeeded', version: v2.versionId });
    expect((await fileRows(db.url)).filter((r) => r.key === 'two-versions.csv').map((r) => r.status)).toEqual(['replaced', 'succeeded']);
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a stream read outside a statement (counting, backups) is stopped when the budget runs out', async () => {
  const budget = startBudget(limit(300), 100);
  try {
    expect(budget.workMs).toBeGreaterThan(150);
    expect(budget.workMs).toBeLessThanOrEqual(200);
    const endless = budget.watch(new Readable({ read() { setTimeout(() => this.push('a,b\n'), 5); } }));
    const started = Date.now();
    const error = await new Promise<Error>((resolve) => { endless.on('error', resolve); endless.resume(); });
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.message).toMatch(/^stopped reading after \d+ ms: the processor's time limit is near$/);
    expect(Date.now() - started).toBeLessThan(1000);
  } finally {
    budget.dispose();
  }
});
