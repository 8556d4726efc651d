/**
 * The processing core's guarantees on both file ledgers (PostgreSQL's
 * `file_metadata`, DynamoDB through moto and the real AWS SDK v3 client):
 * exactly-once claims, duplicates, two versions of a key, content and
 * pipeline failures, one notification, checkpoints and resume, and
 * concurrent deliveries of one file.
 */
import { Readable } from 'stream';
import { createTestLedger, LEDGER_KINDS, LedgerKind, TestLedger } from './ledgers';
import { InputError } from '../../../src/runtime/contract/errors';
import { RowSink } from '../../../src/runtime/contract/sink-api';
import { registerSinkFactory } from '../../../src/runtime/core/sinks';
import { handleS3Event } from '../../../src/runtime/entry/handle-event';
import { handleReprocess } from '../../../src/runtime/entry/reprocess';
import { closeHelpers, createAws, readText, sentMessages, TestAws, testRuntime, upload } from '../helpers';

/**
 * A sink that keeps nothing outside the ledger (like the report sink): it
 * sums `qty` and counts rows into its summary, and can fail once at a chosen
 * chunk to stand in for a crash of the processor.
 */
const crashed = new Set<string>();
registerSinkFactory('probe', (config) => {
  const c = config as unknown as { id: string; crashOnceAtLine?: number };
  const sink: RowSink = {
    keepsEarlierVersions: false,
    async load(_client, file, open) {
      if (c.crashOnceAtLine !== undefined && file.chunk && file.chunk.firstLine >= c.crashOnceAtLine && !crashed.has(c.id)) {
        crashed.add(c.id);
        throw new Error('probe: the processor died here');
      }
      let text = '';
      for await (const part of await open() as Readable) text += part;
      const rows = text.trim().split('\n').slice(1);
      if (rows.some((r) => r.includes('poison'))) throw new InputError('probe: line 3 column qty: poison', 3);
      return { rowsLoaded: rows.length, rowsRejected: 0, summary: { rows: rows.length, qty: rows.reduce((t, r) => t + Number(r.split(',')[1]), 0) } };
    },
    async discard() {},
    combineSummaries: (parts) => ({
      rows: parts.reduce((t, p) => t + (p.rows as number), 0),
      qty: parts.reduce((t, p) => t + (p.qty as number), 0),
    }),
  };
  return sink;
});

const csv = (n: number) => `id,qty\n${Array.from({ length: n }, (_, i) => `${i + 1},${i + 1}`).join('\n')}\n`;
const probe = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify([{ kind: 'probe', id, ...extra }]);

let aws: TestAws;
beforeAll(async () => { aws = await createAws({ versioned: true }); });
afterAll(() => closeHelpers());

describe.each(LEDGER_KINDS)('the %s ledger', (kind: LedgerKind) => {
  let ledger: TestLedger;
  beforeAll(async () => { ledger = await createTestLedger(kind, aws); });
  afterAll(async () => ledger.drop());

  async function withRuntime<T>(env: Record<string, string>, body: (rt: ReturnType<typeof testRuntime>) => Promise<T>): Promise<T> {
    const rt = testRuntime(aws, 'unused', ledger.env(env));
    try {
      return await body(rt);
    } finally {
      await rt.close();
    }
  }
  const messagesFor = async (key: string) => (await sentMessages(aws.topicArn)).filter((m) => m.body.key === key);

  test('a file is claimed and processed once; a second delivery is a duplicate that sends nothing', async () => {
    const key = `${kind}/once.csv`;
    const up = await upload(aws.input, key, csv(5));
    await withRuntime({}, async (rt) => {
      expect((await handleS3Event(up.event, rt)).files[0]).toMatchObject({ status: 'succeeded', rows: 5, attempt: 1 });
      expect((await handleS3Event(up.event, rt)).files[0]).toMatchObject({ status: 'duplicate', rows: 5 });
    });
    expect(await ledger.records(key)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1, rowsCount: 5, notified: true })]);
    expect((await messagesFor(key)).map((m) => m.body.status)).toEqual(['succeeded']);
  });

  test('a second version replaces the first; a late event of the first changes nothing', async () => {
    const key = `${kind}/versions.csv`;
    const v1 = await upload(aws.input, key, csv(2));
    const v2 = await upload(aws.input, key, csv(3));
    await withRuntime({}, async (rt) => {
      expect((await handleS3Event(v1.event, rt)).files[0]).toMatchObject({ status: 'succeeded', rows: 2 });
      expect((await handleS3Event(v2.event, rt)).files[0]).toMatchObject({ status: 'succeeded', rows: 3 });
      expect((await handleS3Event(v1.event, rt)).files[0]).toMatchObject({ status: 'duplicate', reason: expect.stringMatching(/already replaced/) });
    });
    expect((await ledger.records(key)).map((r) => [r.version, r.status])).toEqual([[v1.versionId, 'replaced'], [v2.versionId, 'succeeded']]);
  });

  test('a file that fails on its content is recorded once and notified once; delivered again it stays failed', async () => {
    const key = `${kind}/poison.csv`;
    const up = await upload(aws.input, key, 'id,qty\n1,1\npoison,2\n');
    await withRuntime({ PIPELINE_SINKS: probe(`${kind}-poison`) }, async (rt) => {
      expect((await handleS3Event(up.event, rt)).files[0]).toMatchObject({ status: 'failed', errorKind: 'input', retry: false });
      expect((await handleS3Event(up.event, rt)).files[0]).toMatchObject({ status: 'duplicate', errorKind: 'input' });
    });
    expect(await ledger.records(key)).toEqual([expect.objectContaining({ status: 'failed', errorKind: 'input', attempts: 1, notified: true })]);
    expect((await messagesFor(key)).map((m) => m.body.status)).toEqual(['failed']);
  });

  test('a failure of the pipeline is retried: the next delivery resumes after the committed chunks and the summary covers the whole file', async () => {
    const key = `${kind}/resume.csv`;
    const up = await upload(aws.input, key, csv(55));
    const env = { PIPELINE_SINKS: probe(`${kind}-resume`, { crashOnceAtLine: 32 }), PIPELINE_CHECKPOINT_EVERY: '10' };
    await withRuntime(env, async (rt) => {
      // A failure of the pipeline itself is thrown, so that the host (Lambda, SQS) delivers the file again.
      await expect(handleS3Event(up.event, rt)).rejects.toThrow(/processor died/);
      expect(await ledger.records(key)).toEqual([expect.objectContaining({ status: 'failed', errorKind: 'internal', attempts: 1 })]);
      const done = (await handleS3Event(up.event, rt)).files[0];
      expect(done).toMatchObject({ status: 'succeeded', rows: 55, attempt: 2, resumedFrom: 30 });
    });
    expect(await ledger.records(key)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 2, rowsCount: 55, resumedFrom: 30 })]);
    const result = JSON.parse(await readText(aws.output, `results/${key}.json`));
    expect(result).toMatchObject({ rows: 55, resumedFrom: 30, sinks: [{ rows: 55, qty: (55 * 56) / 2 }] });
  });

  test('a forced run starts over: the checkpoint and the chunk summaries of the stopped attempt are not reused', async () => {
    const key = `${kind}/forced.csv`;
    const up = await upload(aws.input, key, csv(25));
    await withRuntime({ PIPELINE_SINKS: probe(`${kind}-forced`, { crashOnceAtLine: 12 }), PIPELINE_CHECKPOINT_EVERY: '10' }, async (rt) => {
      await expect(handleS3Event(up.event, rt)).rejects.toThrow(/processor died/);
    });
    await withRuntime({ PIPELINE_SINKS: probe(`${kind}-forced`), PIPELINE_CHECKPOINT_EVERY: '10' }, async (rt) => {
      const out = await handleReprocess({ reprocess: { bucket: aws.input, key, versionId: up.versionId } }, rt);
      expect(out).toMatchObject({ status: 'succeeded', rows: 25, attempt: 2 });
    });
    const result = JSON.parse(await readText(aws.output, `results/${key}.json`));
    expect(result).toMatchObject({ rows: 25, sinks: [{ rows: 25, qty: (25 * 26) / 2 }] });
    expect(result.resumedFrom).toBeUndefined();
  });

  test('concurrent deliveries of one version: one run processes it, the others leave it alone', async () => {
    const key = `${kind}/concurrent.csv`;
    const up = await upload(aws.input, key, csv(2000));
    const runtimes = [0, 1, 2, 3].map(() => testRuntime(aws, 'unused', ledger.env({ PIPELINE_SINKS: probe(`${kind}-conc`), PIPELINE_CHECKPOINT_EVERY: '100' })));
    try {
      const outcomes = (await Promise.all(runtimes.map((rt) => handleS3Event(up.event, rt)))).map((o) => o.files[0]);
      const statuses = outcomes.map((o) => o.status).sort();
      expect(statuses.filter((s) => s === 'succeeded')).toHaveLength(1);
      expect(statuses.every((s) => ['succeeded', 'duplicate', 'in-progress'].includes(s))).toBe(true);
    } finally {
      await Promise.all(runtimes.map((rt) => rt.close()));
    }
    expect(await ledger.records(key)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1, rowsCount: 2000 })]);
    expect((await messagesFor(key)).map((m) => m.body.status)).toEqual(['succeeded']);
  });
});
