/**
 * Contract between the construct that creates a sink's topics at deploy
 * time (kafka-topics.ts) and its handler (create-topics.lambda.ts).
 *
 * @internal
 */
export const TOPIC_ENV = {
  /** Comma-separated bootstrap brokers. */
  BROKERS: 'KAFKA_BOOTSTRAP_BROKERS',
  /** The mechanism, as the runtime names it (`iam`, `scram-sha-512`, `mtls`, `tls`). */
  AUTH: 'KAFKA_AUTH',
  /** The Secrets Manager secret of SCRAM or mutual TLS credentials. */
  SECRET_ARN: 'KAFKA_SECRET_ARN',
  /** PEM bundle that replaces the system's CAs for the brokers' certificates. */
  CA_PEM: 'KAFKA_CA_PEM',
  /** JSON array of TopicSpec. */
  TOPICS: 'KAFKA_TOPICS',
} as const;

/** One topic to create. @internal */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Unset: the cluster's default (MSK Serverless: always 3). */
  readonly replicationFactor?: number;
  readonly configs: Record<string, string>;
}
