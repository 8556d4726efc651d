/**
 * Contract between the construct (which sets these variables on the
 * processor) and the runtime program (which reads them). Not part of the
 * public API.
 */
export const ENV = {
  /** ARN of the Secrets Manager secret holding the RDS credentials (host, port, username, password, dbname). */
  DB_SECRET_ARN: 'PIPELINE_DB_SECRET_ARN',
  /** Overrides the database name from the secret. */
  DB_NAME: 'PIPELINE_DB_NAME',
  /** Full connection URL; used by the CLI and tests instead of the secret. */
  DATABASE_URL: 'PIPELINE_DATABASE_URL',
  /** `verify-full` (default), or `disable` for a local server without TLS (CLI/tests only). */
  DB_SSL: 'PIPELINE_DB_SSL',
  /** Path of a PEM bundle that replaces the built-in Amazon RDS CA bundle. */
  DB_CA_FILE: 'PIPELINE_DB_CA_FILE',
  OUTPUT_BUCKET: 'PIPELINE_OUTPUT_BUCKET',
  BACKUP_BUCKET: 'PIPELINE_BACKUP_BUCKET',
  TOPIC_ARN: 'PIPELINE_TOPIC_ARN',
  /** JSON array of SinkConfig (see ./sink-config.ts). */
  SINKS: 'PIPELINE_SINKS',
  /**
   * Path of a file holding the same JSON as PIPELINE_SINKS. Processors whose
   * environment is size-limited (Lambda: 4 KB in all) ship the sink
   * configuration as a file (a Lambda layer) and set this instead.
   */
  SINKS_FILE: 'PIPELINE_SINKS_FILE',
  /** CloudWatch namespace for Embedded Metric Format output. */
  METRICS_NAMESPACE: 'PIPELINE_METRICS_NAMESPACE',
  /** Name of the pipeline, used in notifications and metric dimensions. */
  PIPELINE_NAME: 'PIPELINE_NAME',
  /** `true` to address S3 with path-style URLs (moto, S3-compatible stores). */
  S3_FORCE_PATH_STYLE: 'PIPELINE_S3_FORCE_PATH_STYLE',
  /**
   * Rows per checkpointed chunk (a whole number >= 1): each chunk and its
   * checkpoint commit together, so an interrupted file resumes after the last
   * one. Unset or 0: one transaction per file.
   */
  CHECKPOINT_EVERY: 'PIPELINE_CHECKPOINT_EVERY',
  /**
   * Name of the DynamoDB table of the file ledger (`Ledger.dynamoDb()`).
   * Unset: the ledger is `file_metadata` in the PostgreSQL database.
   */
  LEDGER_TABLE: 'PIPELINE_LEDGER_TABLE',
  /**
   * DynamoDB ledger: seconds a claim's lease lasts without renewal (default
   * 60), so how long after a crash another run can take the file over.
   */
  LEDGER_LEASE_SECONDS: 'PIPELINE_LEDGER_LEASE_SECONDS',
} as const;

/** Default CloudWatch namespace of the processor's metrics. */
export const DEFAULT_METRICS_NAMESPACE = 'CdkDataPipeline';

/** Names of the metrics the runtime emits (Embedded Metric Format). */
export const METRIC = {
  FILES_SUCCEEDED: 'FilesSucceeded',
  FILES_FAILED: 'FilesFailed',
  ROWS: 'Rows',
  ROWS_REJECTED: 'RowsRejected',
  DURATION_MS: 'ProcessingDuration',
  ROWS_PER_SECOND: 'RowsPerSecond',
  /** Kafka sink: rows whose send the broker acknowledged (and, exactly once, whose transaction committed). */
  KAFKA_ROWS_SENT: 'KafkaRowsSent',
  /** Kafka sink: milliseconds per acknowledged batch of rows. */
  KAFKA_SEND_LATENCY_MS: 'KafkaSendLatency',
  /** Kafka sink: sends that failed after every retry. */
  KAFKA_SEND_ERRORS: 'KafkaSendErrors',
  /** Kafka sink: sends retried after a retriable error. */
  KAFKA_PRODUCER_RETRIES: 'KafkaProducerRetries',
  /** Report sink: reports written to `reports/<date>.json`. */
  REPORTS_WRITTEN: 'ReportsWritten',
} as const;

/** Metric dimension that carries the pipeline name. */
export const METRIC_DIMENSION = 'Pipeline';
