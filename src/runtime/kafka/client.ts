/**
 * The Kafka client the sink talks to, and its kafkajs implementation: the
 * only module that imports kafkajs, so another client (for example
 * @confluentinc/kafka-javascript) is one more implementation of
 * `KafkaClient`, without touching the sink logic. Errors leave this module as
 * `KafkaFailure`, classified in the sink's terms.
 */
import * as net from 'net';
import * as tls from 'tls';
import { Admin, CompressionTypes, ISocketFactory, Kafka, logLevel, Partitioners, Producer, SASLOptions, Transaction } from 'kafkajs';
import { classifyKafkaError, KafkaFailure } from './failure';
import type { Logger } from '../contract/logger';

/** How to reach and authenticate to the brokers (../kafka/auth.ts builds it from the config). */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS options; absent: plaintext. */
  readonly tls?: tls.ConnectionOptions;
  readonly sasl?:
  | { readonly mechanism: 'scram-sha-512'; readonly username: string; readonly password: string }
  | { readonly mechanism: 'oauthbearer'; readonly token: () => Promise<string> };
}

/** A message as the sink hands it to the client: key, value and string headers. */
export interface OutgoingMessage {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Where a batch goes: one partition, so the batch's order is the log's order. */
export interface Destination {
  readonly topic: string;
  /** Absent: the client's default partitioner (murmur2 of the key, as Java clients do). */
  readonly partition?: number;
  readonly gzip: boolean;
}

/** A group offset written in a transaction: the sink's durable checkpoint (see ./checkpoint-store.ts). */
export interface GroupOffset {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string;
}

/** An open Kafka transaction of a transactional producer: its sends and offsets are visible together, or never. */
export interface KafkaTransaction {
  send(to: Destination, messages: readonly OutgoingMessage[]): Promise<void>;
  /** Commits `offset` for its group when (and only if) the transaction commits. */
  saveOffset(offset: GroupOffset): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * An idempotent producer (acks from all in-sync replicas, one request in
 * flight); with a transactional id also transactional: creating it fences
 * every earlier producer of that id and aborts its open transaction.
 */
export interface KafkaProducer {
  send(to: Destination, messages: readonly OutgoingMessage[]): Promise<void>;
  transaction(): Promise<KafkaTransaction>;
  close(): Promise<void>;
}

/**
 * What the sink needs of a Kafka client library: metadata, one compacted
 * topic of its own, committed group offsets (its checkpoints), and producers.
 * Every method throws `KafkaFailure`s.
 */
export interface KafkaClient {
  /** Partitions of `topic`; a `KafkaFailure` of kind `topic-missing` when it does not exist. */
  partitions(topic: string): Promise<number>;
  /** Creates a compacted topic with one partition unless it exists. */
  ensureCompactedTopic(topic: string): Promise<void>;
  /** The committed offset's metadata of `groupId` on the partition; undefined when none is committed. */
  readOffset(groupId: string, topic: string, partition: number): Promise<string | undefined>;
  producer(options: { readonly transactionalId?: string }): Promise<KafkaProducer>;
  /** Disconnects every producer and the admin connection. The client can be used again afterwards. */
  close(): Promise<void>;
}

/** Request settings of the original design's producer: acks from all replicas, one request in flight. */
const ACKS_ALL = -1;
/** Retries inside kafkajs (a request's transient errors); the sink's own retries (5 attempts) come on top. */
const CLIENT_RETRY = { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 };
/** Kafka's default transaction timeout (60 s) is too short for a chunk on a slow link. */
const TRANSACTION_TIMEOUT_MS = 5 * 60_000;

/** Longest a client call may take, kafkajs' own retries included, before it fails as retriable. */
const CALL_TIMEOUT_MS = 120_000;

/**
 * kafkajs' sockets, unref'd: idle connections (kept for the next file, or
 * the next warm Lambda invocation) do not keep a finished CLI process alive.
 * While a call is pending, its deadline timer (`guarded`) does.
 */
const unrefSockets: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect({ host, port, ...(!net.isIP(host) ? { servername: host } : {}), ...ssl }, onConnect)
    : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.unref();
  return socket;
};

/** Runs a client call under a deadline; the pending timer also keeps node running until the call settles. */
async function guarded<T>(what: string, where: string, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KafkaFailure(`Kafka ${where}: ${what} took more than ${CALL_TIMEOUT_MS / 1000} s`, 'retriable')), CALL_TIMEOUT_MS);
  });
  try {
    return await Promise.race([call(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function saslOf(c: KafkaConnection): SASLOptions | undefined {
  if (!c.sasl) return undefined;
  if (c.sasl.mechanism === 'scram-sha-512') return { mechanism: 'scram-sha-512', username: c.sasl.username, password: c.sasl.password };
  const token = c.sasl.token;
  return { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token() }) };
}

function kafkajsMessages(to: Destination, messages: readonly OutgoingMessage[]) {
  return messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers as Record<string, string> | undefined, partition: to.partition }));
}

/** A `KafkaClient` over kafkajs. Connections are opened on first use and kept until `close()`. */
export function kafkajsClient(connection: KafkaConnection, log: Logger): KafkaClient {
  const where = connection.brokers.join(',');
  const kafka = new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    ssl: connection.tls ?? false,
    sasl: saslOf(connection),
    connectionTimeout: 5_000,
    authenticationTimeout: 10_000,
    requestTimeout: 30_000,
    // Its per-connection interval would keep node alive; `guarded` bounds every call instead.
    enforceRequestTimeout: false,
    socketFactory: unrefSockets,
    retry: CLIENT_RETRY,
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log: entry }) => {
      const { message, ...fields } = entry;
      // The sink retries itself, from its checkpoints, with a new producer: kafkajs' few retries are on purpose.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      if (level <= logLevel.ERROR) log.error(`kafkajs ${namespace}: ${message}`, fields);
      else log.warn(`kafkajs ${namespace}: ${message}`, fields);
    },
  });
  const fail = (what: string, err: unknown): never => {
    throw classifyKafkaError(err, what, where);
  };
  /** `call` under a deadline, its errors as `KafkaFailure`s of `what`. */
  const run = <T>(what: string, call: () => Promise<T>): Promise<T> =>
    guarded(what, where, async () => {
      try {
        return await call();
      } catch (err) {
        return fail(what, err);
      }
    });
  let admin: Promise<Admin> | undefined;
  const producers = new Set<Producer>();

  function connectedAdmin(): Promise<Admin> {
    admin ??= run('connecting', async () => {
      const a = kafka.admin({ retry: CLIENT_RETRY });
      await a.connect();
      return a;
    });
    admin.catch(() => { admin = undefined; });
    return admin;
  }

  const send = (target: Producer | Transaction, to: Destination, messages: readonly OutgoingMessage[]) =>
    run(`sending ${messages.length} messages to topic ${to.topic}${to.partition === undefined ? '' : ` partition ${to.partition}`}`, async () => {
      await target.send({
        topic: to.topic,
        acks: ACKS_ALL,
        compression: to.gzip ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: kafkajsMessages(to, messages),
      });
    });

  function transactionOf(t: Transaction, id: string | undefined): KafkaTransaction {
    return {
      send: (to, messages) => send(t, to, messages),
      saveOffset: (o) => run(`adding the checkpoint of group ${o.groupId} to the transaction of ${id}`, async () => {
        const partition = { partition: o.partition, offset: String(o.offset), metadata: o.metadata };
        await t.sendOffsets({ consumerGroupId: o.groupId, topics: [{ topic: o.topic, partitions: [partition] }] });
      }),
      commit: () => run(`committing the transaction of ${id}`, () => t.commit()),
      abort: () => run(`aborting the transaction of ${id}`, async () => {
        if (t.isActive()) await t.abort();
      }),
    };
  }

  return {
    partitions: (topic) => connectedAdmin().then((a) => run(`reading the metadata of topic ${topic}`, async () => {
      const meta = await a.fetchTopicMetadata({ topics: [topic] });
      return meta.topics[0].partitions.length;
    })),

    ensureCompactedTopic: (topic) => connectedAdmin().then((a) => run(`creating the checkpoint topic ${topic}`, async () => {
      if ((await a.listTopics()).includes(topic)) return;
      await a.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
    }).catch((err: KafkaFailure) => {
      // Another processor created it in the meantime.
      if (err.kafkaType !== 'TOPIC_ALREADY_EXISTS') throw err;
    })),

    readOffset: (groupId, topic, partition) => connectedAdmin().then((a) => run(`reading the checkpoint of group ${groupId}`, async () => {
      const [offsets] = await a.fetchOffsets({ groupId, topics: [topic] });
      const p = offsets?.partitions.find((x) => x.partition === partition);
      return p && Number(p.offset) >= 0 && p.metadata ? p.metadata : undefined;
    })),

    producer: ({ transactionalId }) => run(transactionalId ? `connecting producer ${transactionalId}` : 'connecting the producer', async () => {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        transactionalId,
        transactionTimeout: TRANSACTION_TIMEOUT_MS,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: CLIENT_RETRY,
      });
      producers.add(p);
      try {
        await p.connect();
      } catch (err) {
        producers.delete(p);
        await p.disconnect().catch(() => undefined);
        throw err;
      }
      return {
        send: (to, messages) => send(p, to, messages),
        transaction: () => run(`beginning a transaction of ${transactionalId}`, async () => transactionOf(await p.transaction(), transactionalId)),
        async close() {
          producers.delete(p);
          await p.disconnect().catch(() => undefined);
        },
      } satisfies KafkaProducer;
    }),

    async close() {
      const all = [...producers];
      producers.clear();
      const a = admin;
      admin = undefined;
      await Promise.all([...all.map((p) => p.disconnect().catch(() => undefined)), a?.then((x) => x.disconnect()).catch(() => undefined)]);
    },
  };
}


