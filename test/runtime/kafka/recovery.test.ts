/**
 * How the sink recovers: a broker that crashes and comes back in the
 * middle of a file, a producer whose sequence the broker lost (fatal to a
 * kafkajs producer), and retriable errors that do not stop. The faults
 * other than the broker crash come from a client that forwards every call
 * to the real one and, once, adds the broker's error after the real send.
 */
import { broker, createTopic, csvOf, fileContext, idsOf, opener, readTopic, withAdmin } from './kafka-helpers';
import { Logger } from '../../../src/runtime/contract/logger';
import { createKafkaSink, KafkaClient, kafkajsClient, KafkaRowSink } from '../../../src/runtime/kafka';
import { classifyKafkaError } from '../../../src/runtime/kafka/failure';
import { KafkaBroker, startKafkaBroker } from '../../support/kafka-broker';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error };
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const NOT_ENOUGH_REPLICAS = 19;

const sinks: KafkaRowSink[] = [];
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
});

/** The real client, whose `nth` send (counting from 1) also fails with the broker error `code` after it went through; `always`: every send from then on. */
function faultyAfterSend(code: number, nth: number, always = false) {
  let sends = 0;
  return (connection: Parameters<typeof kafkajsClient>[0], log: Logger): KafkaClient => {
    const real = kafkajsClient(connection, log);
    const fault = async () => {
      sends++;
      if (sends === nth || (always && sends > nth)) throw classifyKafkaError(createErrorFromCode(code), 'sending (fault injected after the send)', connection.brokers.join(','));
    };
    return {
      ...real,
      async producer(options) {
        const p = await real.producer(options);
        return {
          ...p,
          send: async (to, messages) => { await p.send(to, messages); await fault(); },
          async transaction() {
            const tx = await p.transaction();
            return { ...tx, send: async (to, messages) => { await tx.send(to, messages); await fault(); } };
          },
        };
      },
    };
  };
}

test('OUT_OF_ORDER_SEQUENCE_NUMBER after a send: a new producer resumes from the checkpoint; read_committed sees each row once', async () => {
  const topic = await createTopic('seq');
  const metrics: string[] = [];
  const warnings: string[] = [];
  const log: Logger = { info: () => undefined, error: () => undefined, warn: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`) };
  const s = createKafkaSink({ kind: 'kafka', topic, brokers: [broker()], auth: { mechanism: 'plaintext' }, key: { fileAndLine: true }, checkpointEvery: 500 }, {
    client: faultyAfterSend(OUT_OF_ORDER_SEQUENCE_NUMBER, 3), log, retry: { firstDelayMs: 50 }, metrics: { write: (l) => metrics.push(l) },
  });
  sinks.push(s);
  expect(await s.load(undefined, fileContext('seq.csv', 'v1'), opener(csvOf(2_000)))).toMatchObject({ rowsLoaded: 2_000 });
  expect(idsOf(await readTopic(topic, { minCount: 2_000 }))).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
  // The batch sent before the error is in the log, in the aborted transaction.
  expect((await readTopic(topic, { uncommitted: true })).length).toBeGreaterThan(2_000);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('retrying from the last checkpoint with a new producer');
  expect(warnings[0]).toContain('"kind":"producer-state"');
  expect(metrics.filter((l) => JSON.parse(l).KafkaProducerRetries === 1)).toHaveLength(1);
});

test('at least once, the same fault: the rows of the open chunk are sent again, nothing lost', async () => {
  const topic = await createTopic('seq-alo');
  const s = createKafkaSink({
    kind: 'kafka', topic, brokers: [broker()], auth: { mechanism: 'plaintext' }, key: { fileAndLine: true }, checkpointEvery: 500, exactlyOnce: false,
  }, { client: faultyAfterSend(OUT_OF_ORDER_SEQUENCE_NUMBER, 3), retry: { firstDelayMs: 50 }, metrics: { write: () => undefined } });
  sinks.push(s);
  await s.load(undefined, fileContext('alo.csv', 'v1'), opener(csvOf(2_000)));
  const ids = idsOf(await readTopic(topic));
  // Sends: chunk 1's rows, its checkpoint, chunk 2's rows (501-1000): acknowledged, then sent again.
  expect(ids).toEqual([...Array.from({ length: 1_000 }, (_, i) => i + 1), ...Array.from({ length: 1_500 }, (_, i) => 501 + i)]);
});

test('a retriable error that persists: 5 attempts, then an Error (not an InputError) naming the lines, the file and the topic', async () => {
  const topic = await createTopic('persist');
  const metrics: string[] = [];
  const s = createKafkaSink({ kind: 'kafka', topic, brokers: [broker()], auth: { mechanism: 'plaintext' }, key: { fileAndLine: true }, checkpointEvery: 100 }, {
    client: faultyAfterSend(NOT_ENOUGH_REPLICAS, 3, true), retry: { firstDelayMs: 10 }, metrics: { write: (l) => metrics.push(l) },
  });
  sinks.push(s);
  const err = await s.load(undefined, fileContext('p.csv', 'v1'), opener(csvOf(300))).catch((e) => e);
  expect(err.name).toBe('Error');
  expect(err.message).toMatch(new RegExp(`^Kafka sink gave up on lines 102-201 of local/p.csv@v1 \\(topic "${topic}"\\) after 5 attempts: .*NOT_ENOUGH_REPLICAS`));
  expect(metrics.filter((l) => JSON.parse(l).KafkaProducerRetries === 1)).toHaveLength(4);
  expect(metrics.filter((l) => JSON.parse(l).KafkaSendErrors === 1)).toHaveLength(1);
  expect(idsOf(await readTopic(topic, { minCount: 100 }))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
});

describe('broker restart in the middle of a file', () => {
  let own: KafkaBroker;
  beforeAll(async () => {
    own = await startKafkaBroker();
  }, 120_000);
  afterAll(async () => {
    await own?.stop('SIGKILL');
  });

  test('the broker is killed and restarted: the load retries, resumes from the checkpoint, each row once in order', async () => {
    const brokers = [own.brokers.plaintext];
    const topic = await createTopic('restart', { brokers });
    const rows = 300_000;
    const s = createKafkaSink({ kind: 'kafka', topic, brokers, auth: { mechanism: 'plaintext' }, key: { fileAndLine: true }, checkpointEvery: 5_000 }, {
      metrics: { write: () => undefined },
    });
    sinks.push(s);
    const load = s.load(undefined, fileContext('r.csv', 'v1'), opener(csvOf(rows)));
    let done = false;
    void load.finally(() => { done = true; }).catch(() => undefined);
    const written = async () => Number((await withAdmin((a) => a.fetchTopicOffsets(topic), brokers))[0].high);
    while (!done && (await written()) < 20_000) await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    await own.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    own = await own.restart();
    expect(await load).toMatchObject({ rowsLoaded: rows });
    expect(idsOf(await readTopic(topic, { brokers, minCount: rows }))).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
  }, 300_000);
});
