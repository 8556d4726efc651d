import * as path from 'path';
import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantProcessorAccess } from './grants';
import { checkEnvironmentSize } from './lambda-environment';
import { IBoundProcessor, Processor, ProcessorBindContext, ScheduledRunOptions } from './processor';
import { createScheduledRun, scheduledRunPayload } from './scheduled-run';
import { SINKS_FILE_IN_LAYER, SinkConfigLayer } from './sink-config-layer';
import { ManagedPolicyRole } from '../security/managed-policy-role';
import { ENV } from '../shared/env';

/**
 * Options of `Processor.lambda()`.
 */
export interface LambdaProcessorOptions {
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
   * Has no effect: it limited Lambda's retries of asynchronous invocations,
   * and the processor is now invoked from its SQS queue. A file's message
   * stays in the queue up to 4 days, and at most `retryAttempts + 1`
   * attempts are made before it moves to the dead-letter queue.
   *
   * @deprecated SQS-invoked runs are not asynchronous invocations; use `retryAttempts`.
   * @default - ignored (a synth warning when set)
   */
  readonly maxEventAge?: Duration;

  /**
   * Instruction set of the function.
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;

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
}

/** The Node.js runtime of the processor function. */
export const PROCESSOR_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** How long a file's message waits in the processor's queue (the SQS default). */
const QUEUE_RETENTION = Duration.days(4);

/**
 * Runs the processor program as a zip Lambda function in the processing
 * VPC's private subnets. S3 notifications go to an encrypted, TLS-only SQS
 * queue; the function takes one file per invocation, at most
 * `maxConcurrency` at once, and reports the files that failed for a
 * pipeline reason, which are retried and then moved to a dead-letter queue.
 */
export class LambdaProcessor extends Processor {
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[] = [];

  constructor(private readonly options: LambdaProcessorOptions = {}) {
    super();
    validateLambdaOptions(options);
  }

  public bind(scope: Construct, context: ProcessorBindContext): IBoundProcessor {
    return new BoundLambdaProcessor(scope, 'LambdaProcessor', context, this.options);
  }
}

/**
 * The resources of a bound {@link LambdaProcessor}.
 */
export class BoundLambdaProcessor extends Construct implements IBoundProcessor {
  /** The processor function. */
  public readonly function: lambda.Function;
  public readonly securityGroup: ec2.ISecurityGroup;
  public readonly role: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly connections: ec2.Connections;
  public readonly deadLetterQueue?: sqs.IQueue;
  /**
   * The queue S3 notifications are sent to and the function reads from (one
   * file per invocation). Its redrive policy moves a file's message to
   * `deadLetterQueue` after `retryAttempts + 1` failed attempts.
   */
  public readonly queue?: sqs.IQueue;
  public readonly migrationFunction?: lambda.Function;
  /** The function's log group. */
  public readonly logGroup: logs.ILogGroup;
  /**
   * The layer that holds the sink configuration, as the file
   * `/opt/cdk-data-pipeline/sinks.json` named by `PIPELINE_SINKS_FILE`.
   */
  public readonly sinkConfigLayer: lambda.ILayerVersion;

  constructor(scope: Construct, id: string, context: ProcessorBindContext, options: LambdaProcessorOptions) {
    super(scope, id);

    if (options.maxEventAge !== undefined) {
      Annotations.of(this).addWarningV2('cdk-data-pipeline:maxEventAgeIgnored',
        'Processor.lambda(): maxEventAge has no effect since the processor reads from an SQS queue; remove it (retryAttempts sets the attempts per file)');
    }
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

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: options.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: context.logEncryptionKey,
    });
    this.logGroup = logGroup;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: context.vpc,
      description: 'Pipeline processor function: HTTPS out to AWS APIs; database access added by the pipeline',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (VPC endpoints or NAT)');
    this.securityGroup = securityGroup;

    // A role of our own, so Lambda's broad managed policies are not attached;
    // its statements go to one customer-managed policy, not an inline one.
    const role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Pipeline processor function',
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ManageVpcNetworkInterfaces',
      // Lambda creates the function's ENIs as the function role; these EC2
      // actions support no resource-level permissions.
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }));
    this.role = role;
    this.grantPrincipal = role;

    const architecture = options.architecture ?? lambda.Architecture.ARM_64;
    // Lambda allows 4 KB of environment in all: the sink configuration
    // travels as a file in a layer instead.
    this.sinkConfigLayer = new SinkConfigLayer(this, 'SinkConfig', {
      json: context.sinksJson, runtime: PROCESSOR_RUNTIME, architecture,
    }).layer;

    this.function = new lambda.Function(this, 'Function', {
      description: 'cdk-data-pipeline processor: claims, parses and loads uploaded CSV files',
      runtime: PROCESSOR_RUNTIME,
      architecture,
      layers: [this.sinkConfigLayer],
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', '..', 'assets', 'runtime', 'entry', 'processor.lambda')),
      memorySize: options.memorySize ?? 1024,
      timeout,
      reservedConcurrentExecutions: options.reservedConcurrentExecutions,
      vpc: context.vpc,
      vpcSubnets: context.vpcSubnets,
      securityGroups: [securityGroup],
      role,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...context.environment,
        [ENV.SINKS_FILE]: SINKS_FILE_IN_LAYER,
      },
    });
    checkEnvironmentSize(this.function);
    const tracing = options.tracing ?? lambda.Tracing.ACTIVE;
    if (tracing !== lambda.Tracing.DISABLED) {
      // Set on the resource, with the statement added to our role here: the
      // `tracing` prop would, under the @aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy
      // flag, put the X-Ray statement in an inline policy of its own.
      (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: tracing };
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'WriteXRayTraces',
        // X-Ray supports no resource-level permissions for these two actions.
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        resources: ['*'],
      }));
    }
    this.connections = this.function.connections;
    this.migrationFunction = this.function;
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
    createScheduledRun(scope, id, options, (base) => new schedulerTargets.LambdaInvoke(this.function, {
      ...base,
      input: scheduler.ScheduleTargetInput.fromObject(scheduledRunPayload(options)),
    }));
  }

  public metricErrors(): cloudwatch.IMetric {
    return this.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' });
  }

  public metricDuration(): cloudwatch.IMetric | undefined {
    return this.function.metricDuration({ period: Duration.minutes(1), statistic: 'Maximum' });
  }

}

function validateLambdaOptions(o: LambdaProcessorOptions): void {
  if (o.memorySize !== undefined && (!Number.isInteger(o.memorySize) || o.memorySize < 128 || o.memorySize > 10240)) {
    throw new Error(`Processor.lambda(): memorySize must be a whole number of MiB between 128 and 10240 (got ${o.memorySize})`);
  }
  if (o.timeout !== undefined && o.timeout.toSeconds() > 900) {
    throw new Error(`Processor.lambda(): timeout must be at most 15 minutes (got ${o.timeout.toHumanString()}); use Processor.fargate() or Processor.batch() for longer files`);
  }
  const reserved = o.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 2)) {
    throw new Error(`Processor.lambda(): reservedConcurrentExecutions must be a whole number >= 2, since the queue runs at least 2 invocations at once (got ${reserved}); or leave it unset`);
  }
  if (o.maxConcurrency !== undefined && (!Number.isInteger(o.maxConcurrency) || o.maxConcurrency < 2 || o.maxConcurrency > 1000)) {
    throw new Error(`Processor.lambda(): maxConcurrency must be a whole number between 2 and 1000 (got ${o.maxConcurrency})`);
  }
  if (reserved !== undefined && o.maxConcurrency !== undefined && o.maxConcurrency > reserved) {
    throw new Error(`Processor.lambda(): maxConcurrency (${o.maxConcurrency}) must not exceed reservedConcurrentExecutions (${reserved}): `
      + 'the queue would deliver files to a throttled function, and each throttled delivery uses up an attempt');
  }
  if (o.retryAttempts !== undefined && (!Number.isInteger(o.retryAttempts) || o.retryAttempts < 0 || o.retryAttempts > 999)) {
    throw new Error(`Processor.lambda(): retryAttempts must be a whole number between 0 and 999 (got ${o.retryAttempts})`);
  }
  const dlqRetention = o.deadLetterRetention?.toSeconds();
  if (dlqRetention !== undefined && (dlqRetention <= QUEUE_RETENTION.toSeconds() || dlqRetention > Duration.days(14).toSeconds())) {
    throw new Error(`Processor.lambda(): deadLetterRetention must be longer than the queue's ${QUEUE_RETENTION.toHumanString()} and at most 14 days `
      + `(got ${o.deadLetterRetention!.toHumanString()}): a failed file's message keeps its age from the upload`);
  }
}

function effectiveMaxConcurrency(o: LambdaProcessorOptions): number {
  return o.maxConcurrency ?? Math.min(5, o.reservedConcurrentExecutions ?? 5);
}
