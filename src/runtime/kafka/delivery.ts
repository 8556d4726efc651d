/**
 * Delivers one unit of rows (at most `checkpointEvery`) of a file with its
 * checkpoint, retrying as the original design does: 5 attempts with backoff on
 * retriable errors. Every failed attempt throws its producer away; the next
 * one makes a new producer (which fences the old one and aborts its open
 * transaction), reads the last committed checkpoint again and sends only
 * the rows it does not count: a producer whose sequence the broker lost
 * (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID,
 * DUPLICATE_SEQUENCE_NUMBER) is never sent on.
 */
import { addCheckpoint, FileKeys, KafkaCheckpoint, readCheckpoint } from './checkpoint-store';
import { Destination, KafkaClient, KafkaProducer } from './client';
import { KafkaFailure } from './failure';
import type { KafkaMetrics } from './kafka-metrics';
import type { RowMessage } from './row-reader';
import type { KafkaSettings } from './settings';
import { errorMessage, Logger } from '../contract/logger';

/** How the sink retries a unit of rows after a retriable error. */
export interface RetryOptions {
  /** Attempts per unit of rows; default 5 (the original design's). */
  readonly attempts?: number;
  /** Wait after the first failed attempt, doubled after each; default 1 s. */
  readonly firstDelayMs?: number;
  /** Longest wait; default 10 s. */
  readonly maxDelayMs?: number;
}

/**
 * One produce request: few enough bytes for any broker's default
 * `message.max.bytes`, and few enough rows for kafkajs, which groups a
 * request's messages by partition in quadratic time.
 */
const MAX_REQUEST_BYTES = 512 * 1024;
const MAX_REQUEST_ROWS = 1_000;
const NOTHING: KafkaCheckpoint = { nextLine: 0, rows: 0, done: false };

interface FileSession {
  readonly producer: KafkaProducer;
  checkpoint: KafkaCheckpoint;
}

/** Sends units of rows with their checkpoints for a sink (see the file's comment); one per sink. */
export class Delivery {
  private readonly sessions = new Map<string, Promise<FileSession>>();
  private rowsProducer: Promise<KafkaProducer> | undefined;
  private partitions: Promise<number> | undefined;
  private checkpointTopic: Promise<void> | undefined;
  private readonly attempts: number;
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly s: KafkaSettings,
    private readonly client: () => Promise<KafkaClient>,
    private readonly metrics: KafkaMetrics,
    private readonly log: Logger,
    retry: RetryOptions = {},
  ) {
    this.attempts = retry.attempts ?? 5;
    this.firstDelayMs = retry.firstDelayMs ?? 1_000;
    this.maxDelayMs = retry.maxDelayMs ?? 10_000;
  }

  /**
   * Sends the rows the checkpoint does not count, and the checkpoint after
   * them (`nextLine`; `last`: the file is complete), in one transaction
   * (exactly once) or after their acknowledgement (at least once).
   */
  async deliver(keys: FileKeys, rows: readonly RowMessage[], nextLine: number, last: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let inFlight: readonly RowMessage[] = [];
      try {
        const session = await this.session(keys);
        const cp = session.checkpoint;
        const todo = cp.nextLine > 0 ? rows.filter((r) => r.line >= cp.nextLine) : rows;
        if (cp.done || (todo.length === 0 && !last)) return;
        const next: KafkaCheckpoint = { nextLine: Math.max(cp.nextLine, nextLine), rows: cp.rows + todo.length, done: last };
        const to: Destination = { topic: this.s.topic, partition: keys.spread % (await this.topicPartitions()), gzip: this.s.gzip };
        const latencies: number[] = [];
        const sendAll = async (send: (batch: readonly RowMessage[]) => Promise<void>) => {
          for (const batch of requests(todo)) {
            inFlight = batch;
            const started = performance.now();
            await send(batch);
            latencies.push(performance.now() - started);
          }
          inFlight = [];
        };
        if (!this.s.exactlyOnce) {
          const producer = await this.shared();
          await sendAll((batch) => producer.send(to, batch));
        }
        const tx = await session.producer.transaction();
        try {
          if (this.s.exactlyOnce) await sendAll((batch) => tx.send(to, batch));
          await addCheckpoint(tx, keys, this.s.checkpointTopic, next);
          await tx.commit();
        } catch (err) {
          await tx.abort().catch(() => undefined);
          throw err;
        }
        session.checkpoint = next;
        if (todo.length > 0) this.metrics.sent(todo.length, latencies);
        return;
      } catch (err) {
        if (!(err instanceof KafkaFailure)) throw err;
        await this.dropSession(keys, true);
        if ((err.kind === 'retriable' || err.kind === 'producer-state') && attempt < this.attempts) {
          const delay = Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** (attempt - 1));
          this.log.warn('Kafka send failed; retrying from the last checkpoint with a new producer', {
            file: keys.fileVersion, topic: this.s.topic, attempt, of: this.attempts, delayMs: delay, kind: err.kind, error: err.message,
          });
          this.metrics.retried();
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        this.metrics.failed();
        throw this.explain(err, keys, rows, inFlight, attempt);
      }
    }
  }

  /**
   * Before each `load()` of the file: the checkpoint read from Kafka again,
   * so rows another processor delivered meanwhile are not sent (when this
   * producer is still open, the newer of its own last commit, which Kafka
   * may not show yet, and the one read).
   */
  async refresh(keys: FileKeys): Promise<void> {
    const open = this.sessions.get(keys.transactionalId);
    if (!open) return;
    try {
      const session = await open;
      const read = await readCheckpoint(await this.client(), keys, this.s.checkpointTopic);
      if (read && (read.done || read.rows > session.checkpoint.rows)) session.checkpoint = read;
    } catch (err) {
      if (!(err instanceof KafkaFailure)) throw err;
      // The first delivery makes a new session and reads it there, with retries.
      await this.dropSession(keys, true);
    }
  }

  /** The file is complete (or another starts): its producer is closed. */
  async endFile(keys: FileKeys): Promise<void> {
    await this.dropSession(keys);
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.keys()];
    await Promise.all(sessions.map((id) => this.dropSession({ transactionalId: id } as FileKeys)));
    const shared = this.rowsProducer;
    this.rowsProducer = undefined;
    await (await shared?.catch(() => undefined))?.close();
  }

  /** The file's transactional producer and its last committed checkpoint, read once the producer has fenced any older one. */
  private session(keys: FileKeys): Promise<FileSession> {
    let s = this.sessions.get(keys.transactionalId);
    if (!s) {
      s = (async () => {
        const client = await this.client();
        await this.topicPartitions();
        this.checkpointTopic ??= client.ensureCompactedTopic(this.s.checkpointTopic);
        this.checkpointTopic.catch(() => { this.checkpointTopic = undefined; });
        await this.checkpointTopic;
        const producer = await client.producer({ transactionalId: keys.transactionalId });
        try {
          return { producer, checkpoint: (await readCheckpoint(client, keys, this.s.checkpointTopic)) ?? NOTHING };
        } catch (err) {
          await producer.close();
          throw err;
        }
      })();
      this.sessions.set(keys.transactionalId, s);
    }
    return s;
  }

  /** Closes the file's producer; after a failure also the shared one of at-least-once. */
  private async dropSession(keys: FileKeys, failed = false): Promise<void> {
    const s = this.sessions.get(keys.transactionalId);
    this.sessions.delete(keys.transactionalId);
    await (await s?.catch(() => undefined))?.producer.close();
    if (failed && !this.s.exactlyOnce) {
      // The shared producer may be the one that failed: a new one starts a new idempotent sequence.
      const shared = this.rowsProducer;
      this.rowsProducer = undefined;
      await (await shared?.catch(() => undefined))?.close();
    }
  }

  private topicPartitions(): Promise<number> {
    this.partitions ??= this.client().then((c) => c.partitions(this.s.topic));
    this.partitions.catch(() => { this.partitions = undefined; });
    return this.partitions;
  }

  private shared(): Promise<KafkaProducer> {
    this.rowsProducer ??= this.client().then((c) => c.producer({}));
    this.rowsProducer.catch(() => { this.rowsProducer = undefined; });
    return this.rowsProducer;
  }

  /** The error the processor records: what failed, where, and what to do. */
  private explain(err: KafkaFailure, keys: FileKeys, rows: readonly RowMessage[], inFlight: readonly RowMessage[], attempt: number): Error {
    const topic = this.s.topic;
    const lines = rows.length > 0 ? `lines ${rows[0].line}-${rows[rows.length - 1].line}` : 'the end';
    let message: string;
    switch (err.kind) {
      case 'topic-missing':
        message = `Kafka topic "${topic}" (or "${this.s.checkpointTopic}") does not exist on ${this.s.brokers.join(',')}: create it; the sink creates only its checkpoint topic. ${err.message}`;
        break;
      case 'too-large': {
        const biggest = inFlight.reduce<RowMessage | undefined>((a, r) => (!a || r.bytes > a.bytes ? r : a), undefined);
        const row = biggest ? `line ${biggest.line} of ${keys.fileVersion} (about ${biggest.bytes} bytes as a message)` : `a message of ${keys.fileVersion}`;
        message = `Kafka topic "${topic}" refused ${row} as too large: raise the topic's max.message.bytes (and the broker's message.max.bytes) or shorten the row. ${err.message}`;
        break;
      }
      case 'auth':
        message = `Kafka sink could not authenticate or is not authorized (auth ${this.s.auth.mechanism}) for topic "${topic}": check the credentials, certificates and ACLs. ${err.message}`;
        break;
      case 'fenced':
        message = `Kafka producer ${keys.transactionalId} of ${keys.fileVersion} was fenced: another processor is delivering this file version now, so this one stops. ${err.message}`;
        break;
      default:
        message = `Kafka sink gave up on ${lines} of ${keys.fileVersion} (topic "${topic}") after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${errorMessage(err)}`;
    }
    return new Error(message, { cause: err });
  }
}

/** The rows in produce requests of bounded size, in order. */
function* requests(rows: readonly RowMessage[]): Generator<readonly RowMessage[]> {
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    if (i > from && (i - from >= MAX_REQUEST_ROWS || bytes + rows[i].bytes > MAX_REQUEST_BYTES)) {
      yield rows.slice(from, i);
      from = i;
      bytes = 0;
    }
    bytes += rows[i].bytes;
  }
  if (from < rows.length) yield rows.slice(from);
}
