/**
 * JSON shape of a Kafka sink in `PIPELINE_SINKS` (and the CLI's `--config`
 * file), written by `Sink.kafka()` and read by the runtime's Kafka sink
 * (src/runtime/kafka/). Not part of the public jsii API.
 */

/** How the processor authenticates to the brokers. */
export type KafkaAuthConfig =
  /** No authentication, no TLS: only when the user asked for it, never on MSK. */
  | { readonly mechanism: 'plaintext' }
  /** TLS without client authentication (server certificate checked). */
  | { readonly mechanism: 'tls'; readonly caPem?: string }
  /** SASL/SCRAM-SHA-512 over TLS; `{ "username", "password" }` from this Secrets Manager secret. */
  | { readonly mechanism: 'scram-sha-512'; readonly secretArn: string; readonly caPem?: string }
  /** Amazon MSK IAM: SASL/OAUTHBEARER over TLS with tokens from aws-msk-iam-sasl-signer-js. */
  | { readonly mechanism: 'iam'; readonly region: string }
  /** Mutual TLS: the client certificate and key (PEM) from this Secrets Manager secret (`{ "certificate", "privateKey" }`). */
  | { readonly mechanism: 'mtls'; readonly secretArn: string; readonly caPem?: string };

export interface KafkaSinkConfig {
  readonly kind: 'kafka';
  /** Topic the rows are sent to. */
  readonly topic: string;
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  readonly auth: KafkaAuthConfig;
  /** Message key: a CSV column's value, or `file + line` (the default). */
  readonly key: { readonly column: string } | { readonly fileAndLine: true };
  /** Headers with bucket, key, version and line number on every message; default true. */
  readonly headers?: boolean;
  /** Default `gzip`. */
  readonly compression?: 'gzip' | 'none';
  /**
   * Exactly once for `read_committed` consumers (each chunk's rows and its
   * checkpoint record in `checkpointTopic` in one Kafka transaction); false:
   * at least once (rows acknowledged first, then the checkpoint record in a
   * transaction of its own). Both modes use transactional ids. Default true.
   */
  readonly exactlyOnce?: boolean;
  /** Compacted topic of the sink's checkpoint records; default `<topic>.checkpoints`. */
  readonly checkpointTopic?: string;
  /** Prefix of the per-file transactional ids; default `cdk-data-pipeline.<topic>.` */
  readonly transactionalIdPrefix?: string;
  /**
   * Prefix of the consumer groups the sink reads its checkpoint records with:
   * one group per file version, `<checkpointGroupId>.<hash>`; default
   * `<transactionalIdPrefix>checkpoints`.
   */
  readonly checkpointGroupId?: string;
  /** Rows per Kafka transaction (exactly once) or per checkpoint record (at least once); default 10,000. */
  readonly checkpointEvery?: number;
  /** Producer client id; default `cdk-data-pipeline`. */
  readonly clientId?: string;
}
