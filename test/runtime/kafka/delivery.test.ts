/**
 * The Kafka sink against the real broker: order, keys and headers, the
 * checkpoint that makes every `load()` idempotent (whole file, chunks, a
 * retry after the processor's own rollback), content errors, and the
 * metrics it emits.
 */
import { broker, createTopic, csvOf, fileContext, idsOf, opener, readTopic } from './kafka-helpers';
import { InputError } from '../../../src/runtime/contract/errors';
import { createKafkaSink, KafkaRowSink } from '../../../src/runtime/kafka';
import type { KafkaSinkConfig } from '../../../src/shared/kafka-sink-config';

const sinks: KafkaRowSink[] = [];
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
});

function sink(topic: string, extra: Partial<KafkaSinkConfig> = {}, metricLines?: string[]): KafkaRowSink {
  const s = createKafkaSink({
    kind: 'kafka', topic, brokers: [broker()], auth: { mechanism: 'plaintext' }, key: { fileAndLine: true }, ...extra,
  }, { metrics: { write: (l) => metricLines?.push(l), pipelineName: 'kafka-test' }, retry: { firstDelayMs: 100 } });
  sinks.push(s);
  return s;
}

test('every row once, in file order, to one partition; keys file+line and the row-id headers; metrics as EMF', async () => {
  const topic = await createTopic('order', { partitions: 3 });
  const metrics: string[] = [];
  const s = sink(topic, { checkpointEvery: 1_000 }, metrics);
  const out = await s.load(undefined, fileContext('orders.csv', 'v1'), opener(csvOf(5_000)));
  expect(out).toEqual({ rowsLoaded: 5_000, rowsRejected: 0 });
  const messages = await readTopic(topic);
  expect(idsOf(messages)).toEqual(Array.from({ length: 5_000 }, (_, i) => i + 1));
  expect(new Set(messages.map((m) => m.partition)).size).toBe(1);
  expect(messages[0]).toMatchObject({
    key: 'local/orders.csv@v1:2',
    value: '{"id":"1","name":"name 1"}',
    headers: { bucket: 'local', key: 'orders.csv', version: 'v1', line: '2' },
  });
  expect(messages[4_999].headers.line).toBe('5001');
  const docs = metrics.map((l) => JSON.parse(l));
  expect(docs.reduce((n, d) => n + (d.KafkaRowsSent ?? 0), 0)).toBe(5_000);
  expect(docs[0]).toMatchObject({ Pipeline: 'kafka-test', Topic: topic, _aws: { CloudWatchMetrics: [{ Namespace: expect.any(String), Dimensions: [['Pipeline']] }] } });
  expect(docs[0].KafkaSendLatency.length).toBeGreaterThan(0);
  // The checkpoint record of the compacted topic says the file is done.
  const [cp] = (await readTopic(`${topic}.checkpoints`)).slice(-1);
  expect(cp.key).toBe('local/orders.csv@v1');
  expect(JSON.parse(cp.value)).toMatchObject({ file: 'local/orders.csv@v1', nextLine: 5_002, rows: 5_000, done: true });
});

test('a key column keys the messages; quoted fields, empty and null values; no headers when off; no compression', async () => {
  const topic = await createTopic('keys');
  const s = sink(topic, { key: { column: 'sku' }, headers: false, compression: 'none' });
  const csv = 'sku,note,qty\nA-1,"with, comma ""quoted""",3\nB-2,,\n"C-3","multi\nline",""\n';
  expect(await s.load(undefined, fileContext('k.csv', 'v1'), opener(csv))).toMatchObject({ rowsLoaded: 3 });
  const messages = await readTopic(topic);
  expect(messages.map((m) => [m.key, JSON.parse(m.value), m.headers])).toEqual([
    ['A-1', { sku: 'A-1', note: 'with, comma "quoted"', qty: '3' }, {}],
    ['B-2', { sku: 'B-2', note: null, qty: null }, {}],
    ['C-3', { sku: 'C-3', note: 'multi\nline', qty: '' }, {}],
  ]);
});

test('load() is idempotent: a second whole-file load, chunks again after a rollback, a whole load after chunks send nothing twice', async () => {
  const topic = await createTopic('idem');
  const s = sink(topic, { checkpointEvery: 300 });
  const csv = csvOf(1_000);
  const header = 'id,name\n';
  const lines = csv.split('\n').slice(1, -1);
  const chunk = (from: number, to: number, last: boolean) => ({
    file: fileContext('c.csv', 'v1', { firstLine: from + 2, nextLine: to + 2, first: from === 0, last }),
    open: opener(header + lines.slice(from, to).join('\n') + '\n'),
  });
  const first = chunk(0, 400, false);
  expect(await s.load(undefined, first.file, first.open)).toMatchObject({ rowsLoaded: 400 });
  // The processor's transaction rolled back after Kafka's committed: it loads the chunk again.
  expect(await s.load(undefined, first.file, first.open)).toMatchObject({ rowsLoaded: 400 });
  // A fresh process (new producer, checkpoint read from Kafka) loads the whole file.
  const other = sink(topic, { checkpointEvery: 300 });
  expect(await other.load(undefined, fileContext('c.csv', 'v1'), opener(csv))).toMatchObject({ rowsLoaded: 1_000 });
  const last = chunk(400, 1_000, true);
  expect(await s.load(undefined, last.file, last.open)).toMatchObject({ rowsLoaded: 600 });
  expect(await s.load(undefined, fileContext('c.csv', 'v1'), opener(csv))).toMatchObject({ rowsLoaded: 1_000 });
  expect(idsOf(await readTopic(topic, { minCount: 1_000 }))).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
  // Another version of the key is another file: sent in full.
  await s.load(undefined, fileContext('c.csv', 'v2'), opener(csvOf(10, 5_001)));
  expect(idsOf(await readTopic(topic)).slice(1_000)).toEqual(Array.from({ length: 10 }, (_, i) => 5_001 + i));
});

test('content errors are InputErrors with line and column; consumers see only the transactions committed before the bad row', async () => {
  const topic = await createTopic('bad');
  const s = sink(topic, { checkpointEvery: 100, key: { column: 'id' } });
  await expect(s.load(undefined, fileContext('nokey.csv', 'v1'), opener('sku,name\n1,a\n'))).rejects.toMatchObject({
    name: 'InputError', line: 1, column: 'id', message: 'line 1: the Kafka key column "id" is not in the header (found: "sku", "name")',
  });
  const csv = csvOf(250).replace('\n231,name 231\n', '\n231,name 231,extra\n');
  const err = await s.load(undefined, fileContext('bad.csv', 'v1'), opener(csv)).catch((e) => e);
  expect(err).toBeInstanceOf(InputError);
  expect(err.message).toBe('line 232: extra data after last expected column (3 fields, the header has 2)');
  expect(idsOf(await readTopic(topic, { minCount: 200 }))).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  expect((await readTopic(topic, { uncommitted: true })).length).toBeGreaterThanOrEqual(200);
  await expect(s.load(undefined, fileContext('q.csv', 'v1'), opener('id,name\n1,"open\n'))).rejects.toThrow('line 2: unterminated CSV quoted field');
});
