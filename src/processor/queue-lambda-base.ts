import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BoundProcessorBase } from './bound-processor-base';
import { checkpointEnvironment, validateCheckpointEvery } from './checkpoint-option';
import { createFunctionRole, setTracing } from './function-role';
import { grantProcessorAccess } from './grants';
import { Processor, ProcessorBindContext, ScheduledRunOptions } from './processor';
import { createScheduledRun, scheduledRunPayload } from './scheduled-run';
import { failedInvocationsAcknowledgments } from '../nag-acknowledgments';

/**
 * Options shared by the Lambda processors (`Processor.lambdaZip()` and
 * `Processor.lambdaContainer()`).
 */
export interface QueueLambdaProcessorOptions {
  /**
   * Memory of the function in MiB (CPU grows with it).
   *
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Maximum run time of one invocation (at most 15 minutes). Files that take
   * longer belong on the Fargate or Batch processor.
   *
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;

  /**
   * The most files processed at once: the queue's event source never runs
   * more invocations than this, which protects the database from a burst of
   * uploads opening too many connections. Uploads beyond it wait in the
   * queue. Between 2 and 1000 (the SQS event source's limits).
   *
   * @default 5, or `reservedConcurrentExecutions` when that is lower
   */
  readonly maxConcurrency?: number;

  /**
   * Reserved concurrency of the function. Not needed to protect the database
   * (`maxConcurrency` does that without reserving anything); set it only to
   * guarantee the function capacity. Reserving fails to deploy when the
   * account's concurrency quota cannot spare it (new accounts start with 10,
   * and 100 must stay unreserved). Must be at least `maxConcurrency`, so the
   * queue never delivers to a throttled function.
   *
   * @default - no concurrency is reserved
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * How many more times a file is tried after a run fails for a pipeline
   * reason (database, network, permissions, timeout) before its message moves
   * to the dead-letter queue: the queue's `maxReceiveCount` is
   * `retryAttempts + 1`. Content errors (a bad CSV) are final and never
   * retried. Between 0 and 999.
   *
   * @default 2
   */
  readonly retryAttempts?: number;

  /**
   * Retention of the function's logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How long messages of failed files stay in the dead-letter queue. A
   * message keeps its age from the first upload, so this must be longer than
   * the queue's 4-day retention (at most 14 days).
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;

  /**
   * X-Ray tracing of the function. ACTIVE samples invocations (the first
   * request each second and 5% of the rest) and records Lambda's own
   * segments; X-Ray bills traces beyond its free tier (100,000 a month) at
   * $5 per million recorded.
   *
   * @default lambda.Tracing.ACTIVE
   */
  readonly tracing?: lambda.Tracing;

  /**
   * Load files with sinks in checkpointed chunks of this many rows: each
   * chunk commits with the file's checkpoint, so a run that ends early (the
   * time limit is near, the database connection is lost) keeps what it
   * loaded and the retry resumes after it. Near the function's timeout the
   * load stops between chunks and fails retryably, instead of being killed.
   * Readers see a file's rows as its chunks commit. 0 or unset: one
   * transaction per file (a file is loaded entirely or not at all).
   *
   * @default - one transaction per file
   */
  readonly checkpointEvery?: number;
}

/**
 * The Lambda processors' factory side: their options are checked when the
 * factory is called; they need no interface endpoints of their own.
 */
export abstract class QueueLambdaProcessor extends Processor {
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[] = [];

  /** `factory` names the factory in error messages, e.g. `Processor.lambdaZip()`. */
  constructor(factory: string, options: QueueLambdaProcessorOptions) {
    super();
    validateQueueLambdaOptions(factory, options);
  }
}

/** How a file's message waits in the processor's queue (the SQS default). */
export const QUEUE_RETENTION = Duration.days(4);

/** What a Lambda variant is given to create its function. @internal */
export interface ProcessorFunctionProps {
  readonly role: iam.IRole;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly logGroup: logs.ILogGroup;
  readonly timeout: Duration;
  /** What both variants set the same way: size, timeout, concurrency, VPC placement, role and logs. */
  readonly common: lambda.FunctionOptions;
}

/**
 * The Lambda processors' shared wiring: an encrypted, TLS-only SQS queue
 * that S3 notifications go to, its dead-letter queue, the function's role
 * (one managed policy, no Lambda managed policies), log group, security
 * group, tracing and the event source (one file per invocation, at most
 * `maxConcurrency` at once, partial batch failures). The variants create
 * the function (zip or container image) in `_createFunction()`.
 */
export abstract class BoundQueueLambdaProcessor extends BoundProcessorBase {
  /** The processor function. */
  public readonly function: lambda.Function;
  public readonly role: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly deadLetterQueue?: sqs.IQueue;
  /**
   * The queue S3 notifications are sent to and the function reads from (one
   * file per invocation). Its redrive policy moves a file's message to
   * `deadLetterQueue` after `retryAttempts + 1` failed attempts.
   */
  public readonly queue?: sqs.IQueue;
  public readonly migrationFunction?: lambda.Function;
  private failedScheduledRuns?: sqs.Queue;

  constructor(scope: Construct, id: string, context: ProcessorBindContext, options: QueueLambdaProcessorOptions,
    interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[]) {
    super(scope, id, context, interfaceEndpoints, 'Pipeline processor function', options.logRetention);
    const timeout = options.timeout ?? Duration.minutes(5);

    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: options.deadLetterRetention ?? Duration.days(14),
    });
    this.deadLetterQueue = deadLetterQueue;
    // SQS-managed encryption: S3 can send to it without a key policy.
    const queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
      // AWS's advice for SQS event sources: six times the function timeout,
      // so a message is not redelivered while a slow run still holds it.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: (options.retryAttempts ?? 2) + 1 },
    });
    this.queue = queue;

    const logGroup = this.logGroup;
    const role = createFunctionRole(this, 'Role', 'Pipeline processor function', logGroup);
    this.role = role;
    this.grantPrincipal = role;

    const withCheckpoints = { ...context, environment: { ...context.environment, ...checkpointEnvironment(options.checkpointEvery) } };
    this.function = this._createFunction(withCheckpoints, options, {
      role,
      securityGroup: this.securityGroup,
      logGroup,
      timeout,
      common: {
        memorySize: options.memorySize ?? 1024,
        timeout,
        reservedConcurrentExecutions: options.reservedConcurrentExecutions,
        vpc: context.vpc,
        vpcSubnets: context.vpcSubnets,
        securityGroups: [this.securityGroup],
        role,
        logGroup,
      },
    });
    setTracing(this.function, role, options.tracing ?? lambda.Tracing.ACTIVE);
    if (context.databaseSecret) this.migrationFunction = this.function;
    // One file per invocation, so each gets the whole timeout; the runtime
    // reports internal failures per record and content errors as done.
    this.function.addEventSource(new eventSources.SqsEventSource(queue, {
      batchSize: 1,
      maxConcurrency: effectiveMaxConcurrency(options),
      reportBatchItemFailures: true,
    }));

    grantProcessorAccess(role, context);
  }

  public addUploadSource(bucket: s3.IBucket, filter: s3.NotificationKeyFilter): void {
    // SqsDestination adds the queue policy statement for s3.amazonaws.com (this bucket only).
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.queue!), filter);
  }

  public addScheduledRun(scope: Construct, id: string, options: ScheduledRunOptions): void {
    // The function lists the prefix and processes its objects itself.
    const run = createScheduledRun(scope, id, options, (base) => new schedulerTargets.LambdaInvoke(this.function, {
      ...base,
      input: scheduler.ScheduleTargetInput.fromObject(scheduledRunPayload(options)),
    }), this.function.functionArn);
    this.addScheduleDeadLetterQueue(run.deadLetterQueue);
    this.nagAcknowledgments.push(...run.acknowledgments);
    this.keepFailedScheduledInvocations();
  }

  /**
   * The scheduler invokes the function asynchronously: a run that fails
   * (out of time with files left, the database down) is retried by Lambda,
   * twice, and then kept in an encrypted queue with an alarm instead of
   * being dropped. Once per function, for all its schedules.
   */
  private keepFailedScheduledInvocations(): void {
    if (this.failedScheduledRuns) return;
    this.failedScheduledRuns = new sqs.Queue(this, 'FailedScheduledRuns', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new lambdaDestinations.SqsDestination(this.failedScheduledRuns),
    });
    this.acknowledge(failedInvocationsAcknowledgments(this.failedScheduledRuns));
    this.addScheduleDeadLetterQueue(this.failedScheduledRuns,
      'a scheduled run failed after Lambda\'s retries (see the function\'s logs); the invocation waits in the FailedScheduledRuns queue');
  }

  /** With a scheduled run: where invocations that failed after Lambda's retries are kept. */
  public get failedInvocations(): sqs.IQueue | undefined {
    return this.failedScheduledRuns;
  }

  public metricErrors(): cloudwatch.IMetric {
    return this.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' });
  }

  public metricDuration(): cloudwatch.IMetric | undefined {
    return this.function.metricDuration({ period: Duration.minutes(1), statistic: 'Maximum' });
  }

  /**
   * Creates the processor function in the processing VPC with the given
   * role, security group and log group. Called from the constructor: it may
   * add children to `this` but not read the subclass's fields.
   *
   * @internal
   */
  protected abstract _createFunction(context: ProcessorBindContext, options: QueueLambdaProcessorOptions,
    props: ProcessorFunctionProps): lambda.Function;
}

/**
 * Checks the options both Lambda processors share; `factory` names the
 * factory in messages (`Processor.lambdaZip()`).
 *
 * @internal
 */
export function validateQueueLambdaOptions(factory: string, o: QueueLambdaProcessorOptions): void {
  validateCheckpointEvery(factory, o.checkpointEvery);
  if (o.memorySize !== undefined && (!Number.isInteger(o.memorySize) || o.memorySize < 128 || o.memorySize > 10240)) {
    throw new Error(`${factory}: memorySize must be a whole number of MiB between 128 and 10240 (got ${o.memorySize})`);
  }
  if (o.timeout !== undefined && o.timeout.toSeconds() > 900) {
    throw new Error(`${factory}: timeout must be at most 15 minutes (got ${o.timeout.toHumanString()}); use Processor.fargate() or Processor.batch() for longer files`);
  }
  const reserved = o.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 2)) {
    throw new Error(`${factory}: reservedConcurrentExecutions must be a whole number >= 2, since the queue runs at least 2 invocations at once (got ${reserved}); or leave it unset`);
  }
  if (o.maxConcurrency !== undefined && (!Number.isInteger(o.maxConcurrency) || o.maxConcurrency < 2 || o.maxConcurrency > 1000)) {
    throw new Error(`${factory}: maxConcurrency must be a whole number between 2 and 1000 (got ${o.maxConcurrency})`);
  }
  if (reserved !== undefined && o.maxConcurrency !== undefined && o.maxConcurrency > reserved) {
    throw new Error(`${factory}: maxConcurrency (${o.maxConcurrency}) must not exceed reservedConcurrentExecutions (${reserved}): `
      + 'the queue would deliver files to a throttled function, and each throttled delivery uses up an attempt');
  }
  if (o.retryAttempts !== undefined && (!Number.isInteger(o.retryAttempts) || o.retryAttempts < 0 || o.retryAttempts > 999)) {
    throw new Error(`${factory}: retryAttempts must be a whole number between 0 and 999 (got ${o.retryAttempts})`);
  }
  const dlqRetention = o.deadLetterRetention?.toSeconds();
  if (dlqRetention !== undefined && (dlqRetention <= QUEUE_RETENTION.toSeconds() || dlqRetention > Duration.days(14).toSeconds())) {
    throw new Error(`${factory}: deadLetterRetention must be longer than the queue's ${QUEUE_RETENTION.toHumanString()} and at most 14 days `
      + `(got ${o.deadLetterRetention!.toHumanString()}): a failed file's message keeps its age from the upload`);
  }
}

function effectiveMaxConcurrency(o: QueueLambdaProcessorOptions): number {
  return o.maxConcurrency ?? Math.min(5, o.reservedConcurrentExecutions ?? 5);
}
