/** Public options of `Sink.kafka()` (the binding is ./kafka-sink-binding.ts). */
import { KafkaAuth } from '../kafka/kafka-auth';
import { KafkaCluster } from '../kafka/kafka-cluster';

/** Compression of the record batches sent to Kafka. */
export enum KafkaCompression {
  /** gzip (every Kafka client reads it). */
  GZIP = 'gzip',
  /** No compression. */
  NONE = 'none',
}

/** The key of each message. Pick with the static factories. */
export abstract class KafkaMessageKey {
  /**
   * The value of a CSV column (matched exactly, like the header after
   * trimming): rows with the same value go to the same partition, in order.
   */
  public static column(name: string): KafkaMessageKey {
    return new MessageKey(name);
  }

  /**
   * The file and line of the row (`<bucket>/<key>@<version>:<line>`): unique
   * per row, a stable id that consumers can deduplicate on.
   */
  public static fileAndLine(): KafkaMessageKey {
    return new MessageKey(undefined);
  }

  /**
   * The column the key is read from.
   *
   * @default - none: the key is the file and line
   */
  public abstract readonly columnName?: string;
}

class MessageKey extends KafkaMessageKey {
  constructor(public readonly columnName: string | undefined) {
    super();
  }
}

/** Options of `Sink.kafka()`. */
export interface KafkaSinkOptions {
  /**
   * Topic the rows are sent to: 1 to 237 letters, digits, `.`, `_` and `-`
   * (room for the `.checkpoints` suffix of the default checkpoint topic).
   */
  readonly topic: string;
  /**
   * Bootstrap brokers you run, `host:port` each. Give `brokers` or
   * `cluster`, not both.
   *
   * @default - `cluster`
   */
  readonly brokers?: string[];
  /**
   * The cluster: `KafkaCluster.fromBootstrapBrokers()` (with its security
   * group and, for IAM, its ARN), or an MSK cluster the construct creates in
   * the processing VPC (`KafkaCluster.mskProvisioned()`,
   * `KafkaCluster.mskServerless()`), whose topics it also creates at deploy
   * time. Give `brokers` or `cluster`, not both.
   *
   * A created cluster's bootstrap brokers are known only at deploy time: its
   * sink needs a processor that takes the sink configuration as environment
   * (`Processor.batch()`, `Processor.fargate()`, `Processor.lambdaContainer()`);
   * `Processor.lambdaZip()` is refused with it.
   *
   * @default - `brokers`
   */
  readonly cluster?: KafkaCluster;
  /**
   * How the processor authenticates.
   *
   * @default - KafkaAuth.iam() on an MSK cluster the construct creates, KafkaAuth.tls() otherwise
   */
  readonly auth?: KafkaAuth;
  /**
   * The key of each message.
   *
   * @default KafkaMessageKey.fileAndLine()
   */
  readonly key?: KafkaMessageKey;
  /**
   * Add headers with the bucket, key, version and line number of the row to
   * every message.
   *
   * @default true
   */
  readonly headers?: boolean;
  /**
   * Compression of the record batches.
   *
   * @default KafkaCompression.GZIP
   */
  readonly compression?: KafkaCompression;
  /**
   * Exactly once for `read_committed` consumers: each chunk of
   * `checkpointEvery` rows is sent in one Kafka transaction together with its
   * checkpoint, with one transactional id per file version (a restarted
   * processor fences the one it replaces). `false`: at least once, the
   * original design's mode: rows are sent outside transactions and each checkpoint is
   * committed after its rows are acknowledged, so a crash sends at most one
   * chunk again.
   *
   * @default true
   */
  readonly exactlyOnce?: boolean;
  /**
   * Rows per Kafka transaction (exactly once) or per checkpoint record (at
   * least once): a whole number from 1 to 1,000,000.
   *
   * @default 10000
   */
  readonly checkpointEvery?: number;
  /**
   * Compacted topic of the sink's checkpoint records (same rules as `topic`,
   * up to 249 characters; not `topic` itself).
   *
   * @default - `<topic>.checkpoints`
   */
  readonly checkpointTopic?: string;
  /**
   * Prefix of the per-file-version transactional ids (`<prefix><hash>`, in
   * both modes), 1 to 200 printable ASCII characters without `*` and `?`.
   * The processor's MSK IAM policy allows transactional ids starting with it
   * only.
   *
   * @default - `cdk-data-pipeline.<topic>.`
   */
  readonly transactionalIdPrefix?: string;
  /**
   * Prefix of the consumer groups that hold the checkpoints: each file
   * version's checkpoint is the committed offset of its own group,
   * `<checkpointGroupId>.<hash>` (same characters as
   * `transactionalIdPrefix`). The processor's MSK IAM policy allows these
   * groups only.
   *
   * @default - `<transactionalIdPrefix>checkpoints`
   */
  readonly checkpointGroupId?: string;
  /**
   * Client id of the producer (letters, digits, `.`, `_` and `-`).
   *
   * @default 'cdk-data-pipeline'
   */
  readonly clientId?: string;
  /**
   * Partitions of `topic` when the construct creates it (an MSK cluster the
   * construct creates), 1 to 1000. Rows of one file stay in file order within
   * a partition: with more than one, only rows with the same key keep their
   * relative order (see `key`). An existing topic with fewer partitions is
   * grown, never shrunk.
   *
   * @default 1
   */
  readonly partitions?: number;
  /**
   * Replicas of each partition of the topics the construct creates (a
   * provisioned MSK cluster), from 1 to the number of brokers. With 3 or
   * more, `min.insync.replicas` is set to 2, so acknowledged rows survive the
   * loss of a broker. MSK Serverless always keeps 3.
   *
   * @default - 3, or the number of brokers if lower
   */
  readonly replicationFactor?: number;
}
