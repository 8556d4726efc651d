import { TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BatchProcessorOptions } from './batch-processor';
import type { FargateProcessorOptions } from './fargate-processor';
import type { LambdaContainerProcessorOptions } from './lambda-container-processor';
import type { LambdaProcessorOptions } from './lambda-processor';
import type { PipelineMonitoring } from '../monitoring/pipeline-monitoring';

/**
 * What a processor is given when the pipeline binds it.
 */
export interface ProcessorBindContext {
  /** VPC the processor runs in. */
  readonly vpc: ec2.IVpc;
  /** Subnets the processor runs in. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Bucket CSV files are read from. */
  readonly inputBucket: s3.IBucket;
  /** Bucket results and rejects are written to. */
  readonly outputBucket: s3.IBucket;
  /** Bucket input copies are written to. */
  readonly backupBucket: s3.IBucket;
  /**
   * Secret with the database credentials.
   *
   * @default - no database: the pipeline's ledger is `Ledger.dynamoDb()`
   */
  readonly databaseSecret?: secretsmanager.ISecret;
  /** Topic success and failure messages are published to. */
  readonly topic: sns.ITopic;
  /**
   * KMS key of the topic (the processor needs it to publish).
   *
   * @default - the topic is not encrypted with a customer managed key
   */
  readonly topicKey?: kms.IKey;
  /**
   * KMS key the processor's log groups are encrypted with (its key policy
   * must let CloudWatch Logs of the region use it).
   *
   * @default - log groups use CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Environment the runtime program reads (see the runtime's contract), small
   * enough for any processor. The sink configuration is not in it: see
   * `sinksJson`.
   */
  readonly environment: { [key: string]: string };
  /**
   * The sinks' configuration for the runtime program, a JSON array (`[]`
   * without sinks). It can be large (tens of KB for wide tables), so each
   * processor delivers it its own way: the Lambda processor ships it as a
   * file in a layer and sets `PIPELINE_SINKS_FILE`; a container processor can
   * set `PIPELINE_SINKS` on its task or job, whose limits are far higher.
   */
  readonly sinksJson: string;
}

/**
 * Options of `IBoundProcessor.addScheduledRun()`: one EventBridge Scheduler
 * schedule that processes every object under a (dated) prefix.
 */
export interface ScheduledRunOptions {
  /** When the run starts (cron, rate or a one-off `at()`). */
  readonly schedule: scheduler.ScheduleExpression;
  /** Bucket whose objects are processed. */
  readonly bucket: s3.IBucket;
  /**
   * Prefix of the keys processed. `{date}` is replaced at run time with the
   * run's date (YYYY-MM-DD) in `timeZone`, e.g. `raw-data/{date}/`.
   */
  readonly prefix: string;
  /** Only keys ending with this suffix are processed, e.g. `.csv`. */
  readonly suffix: string;
  /**
   * Time zone in which the scheduled time becomes the run's `{date}`.
   *
   * @default - the time zone of `schedule`, else UTC
   */
  readonly timeZone?: TimeZone;
  /**
   * `{date}` is the scheduled time's date this many days before, e.g. 1 for
   * a run at 02:00 that processes the previous day's folder.
   *
   * @default 0
   */
  readonly daysBefore?: number;
  /**
   * Description of the schedule.
   *
   * @default - one naming the bucket and prefix
   */
  readonly description?: string;
}

/**
 * A processor after binding: what the pipeline needs to connect triggers,
 * the database and alarms to it.
 */
export interface IBoundProcessor extends iam.IGrantable, ec2.IConnectable {
  /** Security group of the processor (its database access is added to it). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The role the processor's code runs with. */
  readonly role: iam.IRole;
  /**
   * Where files end up that failed for a pipeline reason after every
   * attempt, if the processor has such a queue.
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /** The queue files wait in before the processor takes them, if the processor reads from one. */
  readonly queue?: sqs.IQueue;

  /**
   * A function that, invoked without a payload, brings the database schema up
   * to date. With `migrateOnDeploy` (the default) the pipeline invokes it once
   * per deployment (after the database and network exist) so tables exist
   * before the first file arrives; the pipeline refuses to synthesize when
   * `migrateOnDeploy` is true and there is none. A `lambda.Function` (not an
   * imported `IFunction`): the deploy-time trigger runs its current version,
   * and runs again whenever its code or configuration changes.
   */
  readonly migrationFunction?: lambda.Function;

  /**
   * Interface VPC endpoints the processor calls, beyond the network's
   * defaults (the same list as the unbound `Processor.interfaceEndpoints`).
   */
  readonly interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[];

  /** Routes object-created events of `bucket` matching `filter` to this processor. */
  addUploadSource(bucket: s3.IBucket, filter: s3.NotificationKeyFilter): void;

  /**
   * Adds an EventBridge Scheduler schedule that processes every object of
   * `options.bucket` under `options.prefix` (with `{date}` replaced by the
   * run's date) ending with `options.suffix`. The schedule retries a failed
   * start and keeps what it could not start in an encrypted dead-letter queue.
   */
  addScheduledRun(scope: Construct, id: string, options: ScheduledRunOptions): void;

  /**
   * Adds the processor's own alarms and dashboard widgets to `monitoring`
   * (dead-letter queues of its event and schedule targets, failed tasks or
   * jobs, container metrics) and returns the alarms.
   */
  addMonitoring(monitoring: PipelineMonitoring): cloudwatch.Alarm[];

  /** Number of failed runs (invocations, tasks or jobs). */
  metricErrors(): cloudwatch.IMetric;

  /** Duration of a run, if the processor reports one. */
  metricDuration(): cloudwatch.IMetric | undefined;
}

/**
 * Where and how files are processed. Pick one with a static factory:
 * `Processor.lambdaZip()`, `Processor.lambdaContainer()`, `Processor.fargate()`
 * or `Processor.batch()`. All four run the same program with the same
 * environment, data permissions, network placement, metrics and alarms.
 */
export abstract class Processor {
  /**
   * A zip Lambda function (Node.js 24) in the processing VPC's private
   * subnets. Suits files that finish within 15 minutes.
   *
   * @param options - the function's settings; each has a default, so `Processor.lambdaZip()` alone works
   */
  public static lambdaZip(options: LambdaProcessorOptions = {}): Processor {
    return new LambdaProcessor(options);
  }

  /**
   * The same program as `lambdaZip()` in a container-image Lambda function
   * (the package's image, or your own `code`), e.g. to ship one image for
   * every processor. Same queue, retries, concurrency and tracing as the zip
   * Lambda; the sink configuration travels in its environment (4 KB).
   *
   * @param options - the function's settings; each has a default
   */
  public static lambdaContainer(options: LambdaContainerProcessorOptions = {}): Processor {
    return new LambdaContainerProcessor(options);
  }

  /**
   * An ECS Fargate task per uploaded file (optionally on Fargate Spot), for
   * files that take longer than Lambda's 15 minutes. Uploads reach it
   * through EventBridge.
   *
   * @param options - the task's settings; each has a default
   */
  public static fargate(options: FargateProcessorOptions = {}): Processor {
    return new FargateProcessor(options);
  }

  /**
   * An AWS Batch job per uploaded file, on Fargate Spot by default (or EC2
   * Spot), retried on Spot reclaims and interruptions and resumed from its
   * last checkpoint. Uploads reach it through EventBridge.
   *
   * @param options - the job's settings; each has a default
   */
  public static batch(options: BatchProcessorOptions = {}): Processor {
    return new BatchProcessor(options);
  }

  /**
   * Interface VPC endpoints the processor calls, beyond the network's defaults.
   */
  public abstract readonly interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[];

  /**
   * Creates the processor's resources in `scope`. Called once by the pipeline.
   */
  public abstract bind(scope: Construct, context: ProcessorBindContext): IBoundProcessor;
}

// Imported last, as aws-ecs does for its image factories: the variants extend
// Processor, so Processor must be defined before their modules load.
// eslint-disable-next-line import/first, import/order
import { LambdaProcessor } from './lambda-processor';
// eslint-disable-next-line import/first, import/order
import { LambdaContainerProcessor } from './lambda-container-processor';
// eslint-disable-next-line import/first, import/order
import { FargateProcessor } from './fargate-processor';
// eslint-disable-next-line import/first, import/order
import { BatchProcessor } from './batch-processor';
