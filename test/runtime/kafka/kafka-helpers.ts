/**
 * What the Kafka tests share: topics on the broker globalSetup started, a
 * `read_committed` (or uncommitted) consumer that reads a topic to its end,
 * and a file context for the sink.
 */
import { Readable } from 'stream';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { FileContext } from '../../../src/runtime/contract/sink-api';
import { KafkaListener, testKafka } from '../../support/kafka-broker';
import { uniqueName } from '../../support/moto';

export const broker = (listener: KafkaListener = 'plaintext') => testKafka().brokers[listener];

const kafka = (brokers: string[]) => new Kafka({ clientId: 'kafka-test', brokers, logLevel: logLevel.NOTHING });

export async function withAdmin<T>(use: (admin: Admin) => Promise<T>, brokers = [broker()]): Promise<T> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A new topic (and its name), with `partitions` partitions and these topic configs. */
export async function createTopic(
  prefix: string, options: { partitions?: number; config?: Record<string, string>; brokers?: string[] } = {},
): Promise<string> {
  const topic = uniqueName(prefix);
  await withAdmin((a) => a.createTopics({
    waitForLeaders: true,
    topics: [{
      topic,
      numPartitions: options.partitions ?? 1,
      configEntries: Object.entries(options.config ?? {}).map(([name, value]) => ({ name, value })),
    }],
  }), options.brokers);
  return topic;
}

export interface Consumed {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/**
 * Every message of the topic a consumer sees, in (partition, offset) order:
 * `read_committed` unless `uncommitted`. Reads until each partition is at
 * its end (the last stable offset for read_committed) and nothing more
 * arrives for `quietMs`.
 */
/**
 * Every message of `topic` (read_committed unless `uncommitted`), in offset
 * order: read until the high watermark seen at the start, then `quietMs`
 * without a new batch, and at least `minCount` messages when given (on a busy
 * machine a pause between two fetches can outlast the quiet period).
 */
export async function readTopic(
  topic: string, options: { uncommitted?: boolean; quietMs?: number; brokers?: string[]; minCount?: number } = {},
): Promise<Consumed[]> {
  const brokers = options.brokers ?? [broker()];
  const ends = await withAdmin((a) => a.fetchTopicOffsets(topic), brokers);
  const consumer = kafka(brokers).consumer({ groupId: uniqueName('reader'), readUncommitted: options.uncommitted ?? false, maxWaitTimeInMs: 100 });
  const out: Consumed[] = [];
  let last = Date.now();
  const reached = new Map<number, number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          out.push({
            partition: batch.partition,
            offset: m.offset,
            key: m.key?.toString() ?? null,
            value: m.value!.toString(),
            headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
          });
        }
        last = Date.now();
        reached.set(batch.partition, Number(batch.highWatermark));
      },
    });
    const quiet = options.quietMs ?? 1_500;
    const deadline = Date.now() + 120_000;
    const atEnd = () => ends.every((e) => Number(e.high) === 0 || (reached.get(e.partition) ?? -1) >= Number(e.high));
    while (!(atEnd() && Date.now() - last > quiet && out.length >= (options.minCount ?? 0))) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} timed out with ${out.length} messages`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** The sink's view of a local file: `bucket` local, the file name as key. */
export function fileContext(key: string, version: string, chunk?: FileContext['chunk']): FileContext {
  return { fileId: 1, bucket: 'local', key, version, ...(chunk ? { chunk } : {}) };
}

export const opener = (text: string | Buffer) => async () => Readable.from([Buffer.from(text)]);

/** `id,name` CSV of `rows` rows, ids 1..rows. */
export function csvOf(rows: number, from = 1): string {
  const lines = ['id,name'];
  for (let i = from; i < from + rows; i++) lines.push(`${i},name ${i}`);
  return lines.join('\n') + '\n';
}

/** The ids of the consumed rows, in the order consumed. */
export const idsOf = (messages: readonly Consumed[]) => messages.map((m) => Number(JSON.parse(m.value).id));
