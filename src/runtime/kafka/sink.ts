/**
 * `Sink.kafka()` at run time: every row of a file to one partition of a
 * topic, in file order, exactly once for `read_committed` consumers (or at
 * least once), whatever happens to the processor's own transaction.
 */
import { Readable } from 'stream';
import { connectionFor, AuthDeps } from './auth';
import { FileKeys, fileKeysOf } from './checkpoint-store';
import { KafkaClient, KafkaConnection, kafkajsClient } from './client';
import { Delivery, RetryOptions } from './delivery';
import { KafkaMetrics, KafkaMetricsOptions } from './kafka-metrics';
import { RowReader } from './row-reader';
import { kafkaSettings } from './settings';
import type { KafkaSinkConfig } from '../../shared/kafka-sink-config';
import { Logger, silentLogger } from '../contract/logger';
import type { FileContext, RowSink, SinkOutcome } from '../contract/sink-api';

/** What the host (or a test) may give the Kafka sink besides its configuration; every member has a default. */
export interface KafkaSinkDeps extends AuthDeps {
  /** Makes the client; default kafkajs (./client.ts). Another library is another `KafkaClient`. */
  readonly client?: (connection: KafkaConnection, log: Logger) => KafkaClient;
  readonly log?: Logger;
  readonly metrics?: KafkaMetricsOptions;
  readonly retry?: RetryOptions;
  /**
   * Keep the connections open after a `load()`, for the next one. An open
   * kafkajs connection keeps node's event loop alive (its request queue
   * re-arms a timer), so a CLI or container process could not end by
   * itself; a Lambda function is frozen between invocations instead, and
   * reuses them when warm.
   *
   * @default - true in AWS Lambda (`AWS_LAMBDA_FUNCTION_NAME` is set), else false
   */
  readonly keepConnections?: boolean;
}

/** A `RowSink` that holds connections: `close()` them when the host stops (SIGTERM). */
export interface KafkaRowSink extends RowSink {
  /** Disconnects every producer and the admin connection; a later `load()` connects again. */
  close(): Promise<void>;
}

const open = new Set<KafkaRowSink>();

/** Closes every Kafka sink of this process (for a host that only holds `RowSink`s): call it on SIGTERM and before exiting. */
export async function closeKafkaSinks(): Promise<void> {
  await Promise.all([...open].map((s) => s.close()));
}

/**
 * A Kafka sink for `config` (`Sink.kafka()`'s JSON). Nothing connects until
 * the first `load()`; in Lambda the connections then stay open for the next
 * files (a warm function's next invocations) until `close()`; elsewhere each
 * `load()` closes them when it returns (see `keepConnections`).
 *
 * **Exactly once** (`exactlyOnce`, the default): the rows go in Kafka
 * transactions of at most `checkpointEvery` rows, each also carrying the
 * file's checkpoint (./checkpoint-store.ts), under a transactional id of the
 * file version, so a new attempt fences any older producer of the same file
 * and aborts its open transaction. Each `load()` starts from the last
 * committed checkpoint: rows already delivered are counted, not sent again,
 * whether the processor loads the file whole or in checkpointed chunks, and
 * whether or not its own transaction committed after Kafka's did. A
 * `read_committed` consumer sees each row of the file once, in file order.
 *
 * **At least once** (`exactlyOnce: false`, the original design's mode): the rows go
 * through an idempotent, non-transactional producer, and the checkpoint is
 * committed once they are acknowledged; after a crash, the rows sent since
 * the last checkpoint are sent again: at most `checkpointEvery` duplicates,
 * all of one chunk, in order. Any consumer sees the rows at once.
 *
 * **A failed file**: rows committed to Kafka cannot be taken back. A
 * content error (a malformed row, a missing key column) fails the file with
 * an `InputError` naming the line; the transaction holding the bad row is
 * aborted, so consumers see the rows of the transactions committed before
 * it, and the checkpoint stays. A fixed upload is a new version, with its
 * own checkpoint: it is sent from its first row (the `version` header tells
 * the two apart). A forced reprocessing of a delivered version sends
 * nothing again. Kafka errors after 5 attempts throw a plain `Error` naming
 * the brokers, topic and lines, so the processor retries the file later
 * from the checkpoint.
 */
export function createKafkaSink(config: KafkaSinkConfig, deps: KafkaSinkDeps = {}): KafkaRowSink {
  const settings = kafkaSettings(config);
  const log = deps.log ?? silentLogger;
  const metrics = new KafkaMetrics(settings.topic, deps.metrics);
  const keep = deps.keepConnections ?? process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
  let client: Promise<KafkaClient> | undefined;
  let delivery: Delivery | undefined;
  /** The file being delivered: its producer stays open between its chunks. */
  let current: FileKeys | undefined;

  const connect = (): Promise<KafkaClient> => {
    client ??= connectionFor(settings.brokers, settings.clientId, settings.auth, deps)
      .then((connection) => (deps.client ?? kafkajsClient)(connection, log));
    client.catch(() => { client = undefined; });
    return client;
  };

  const sink: KafkaRowSink = {
    keepsEarlierVersions: true,

    /**
     * Sends the rows of the file (or chunk) that the Kafka checkpoint does not
     * count yet. `rowsLoaded` counts every row of the file or chunk: those
     * sent now and those delivered before. Never uses `_tx`.
     */
    async load(_tx: unknown, file: FileContext, openFile: () => Promise<Readable>): Promise<SinkOutcome> {
      const keys = fileKeysOf(file, settings.transactionalIdPrefix, settings.checkpointGroupId);
      const stream = await openFile();
      try {
        const reader = await RowReader.open(stream, {
          ...(settings.keyColumn !== undefined ? { keyColumn: settings.keyColumn } : {}),
          fileVersion: keys.fileVersion,
          ...(settings.headers ? { headers: { bucket: file.bucket, key: file.key, version: file.version } } : {}),
          ...(file.chunk ? { firstLine: file.chunk.firstLine } : {}),
        });
        delivery ??= new Delivery(settings, connect, metrics, log, deps.retry);
        if (current && current.transactionalId !== keys.transactionalId) await delivery.endFile(current);
        current = keys;
        await delivery.refresh(keys);
        const endsFile = !file.chunk || file.chunk.last;
        let rows = 0;
        let next = reader.read(settings.checkpointEvery);
        for (;;) {
          const unit = await next;
          if (!unit.done) {
            next = reader.read(settings.checkpointEvery);
            next.catch(() => undefined); // surfaces at the await above, unless this unit fails first
          }
          await delivery.deliver(keys, unit.rows, unit.nextLine, unit.done && endsFile);
          rows += unit.rows.length;
          if (unit.done) break;
        }
        if (endsFile) {
          await delivery.endFile(keys);
          current = undefined;
        }
        return { rowsLoaded: rows, rowsRejected: 0 };
      } finally {
        stream.destroy();
        if (!keep) await sink.close();
      }
    },

    /**
     * Nothing to do: rows committed to Kafka cannot be taken back. The rows of
     * a version that failed or was replaced stay in the topic; consumers tell
     * versions apart by the `version` header.
     */
    async discard(): Promise<void> {
      return;
    },

    async close(): Promise<void> {
      const d = delivery;
      const c = client;
      delivery = undefined;
      client = undefined;
      current = undefined;
      await d?.close();
      await (await c?.catch(() => undefined))?.close();
    },
  };
  open.add(sink);
  return sink;
}


