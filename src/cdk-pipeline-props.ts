import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { PipelineDatabaseOptions } from './database/pipeline-database-options';
import { Ledger } from './ledger';
import { PipelineNetworkOptions } from './network';
import { PipelineBastionOptions } from './network/bastion-options';
import { Processor } from './processor';
import { PipelineComplianceOptions } from './security/compliance-options';
import { Sink } from './sink';
import { PipelineStorageOptions } from './storage';
import { Trigger } from './trigger';

/**
 * Properties of a {@link CdkPipeline}. Every part has a secure default; the
 * props below only change what you name.
 */
export interface CdkPipelineProps
  extends PipelineNetworkOptions, PipelineBastionOptions, PipelineStorageOptions, PipelineDatabaseOptions, PipelineComplianceOptions {
  // ---------------------------------------------------------------- processing
  /**
   * Where files are processed.
   *
   * @default Processor.lambdaZip()
   */
  readonly processor?: Processor;

  /**
   * What starts the processor.
   *
   * @default [Trigger.onUpload()] - every `*.csv` object created in the input bucket
   */
  readonly triggers?: Trigger[];

  /**
   * Where each file version's record (claim, attempts, outcome,
   * checkpoints) is kept. With `Ledger.dynamoDb()` and no
   * `Sink.postgresTable()`, the pipeline has no database at all.
   *
   * @default Ledger.postgres()
   */
  readonly ledger?: Ledger;

  /**
   * Where rows go, besides the `file_metadata` record that is always written.
   *
   * @default - none: each file is counted and recorded in `file_metadata`
   */
  readonly sinks?: Sink[];

  /**
   * Create the database tables (`file_metadata` and the sinks' tables) during
   * `cdk deploy`, by invoking the processor's `migrationFunction` once after
   * the database and the network are up. This also proves at deploy time that
   * the processor can reach the database. Without it, the tables are created
   * on first use. A processor without a `migrationFunction` needs `false`.
   *
   * @default true
   */
  readonly migrateOnDeploy?: boolean;

  /**
   * Name of the pipeline in notifications and metric dimensions.
   *
   * @default - the construct's path, e.g. `MyStack/Pipeline`
   */
  readonly pipelineName?: string;

  /**
   * CloudWatch namespace of the processor's metrics.
   *
   * @default 'CdkDataPipeline'
   */
  readonly metricsNamespace?: string;

  // ------------------------------------------------------------- notifications
  /**
   * E-mail addresses notified of every processed file and every alarm.
   *
   * @default - no subscriptions
   */
  readonly notificationEmails?: string[];

  /**
   * Bring your own notification topic.
   *
   * @default - a KMS-encrypted topic is created
   */
  readonly topic?: sns.ITopic;

  /**
   * Create the alarms (processor errors, duration, dead-letter queue, failed
   * files, database health).
   *
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * The duration alarm fires when one run takes longer than this.
   *
   * @default Duration.seconds(5)
   */
  readonly durationAlarmThreshold?: Duration;

  /**
   * The FilesFailed alarm fires when more than this many files fail within
   * 5 minutes (the runtime's `FilesFailed` metric). A file with bad content
   * fails once, is notified with its reason and is not retried; such
   * failures are not processor errors.
   *
   * @default 0
   */
  readonly failedFilesAlarmThreshold?: number;

  /**
   * The NoFileSucceeded alarm fires when no file succeeded (the runtime's
   * `FilesSucceeded` metric) for this long; no data at all counts as none
   * succeeded, so it also fires for a pipeline nobody uploads to.
   * Whole hours from 1 to 168; `Duration.hours(0)` turns the alarm off.
   *
   * @default Duration.hours(24)
   */
  readonly noSuccessAlarmPeriod?: Duration;

  /**
   * Create a CloudWatch dashboard.
   *
   * @default true
   */
  readonly dashboard?: boolean;

  // ------------------------------------------------------------------- network
  // (singleVpc, processingVpc, databaseVpc, CIDRs, natGateways, maxAzs and
  // vpcEndpoints come from PipelineNetworkOptions; bastion, bastionPlacement,
  // bastionSshCidr, bastionKeyPair and bastionInstanceType from
  // PipelineBastionOptions)

  // ------------------------------------------------------------------- storage
  // (inputBucket, outputBucket, backupBucket and backupRetention come from
  // PipelineStorageOptions)
  /**
   * KMS key for the buckets the construct creates (SSE-KMS with S3 Bucket Keys).
   *
   * @default - `encryptionKey`
   */
  readonly bucketEncryptionKey?: kms.IKey;

  /**
   * Removal policy of the buckets and log groups the construct creates.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

}
