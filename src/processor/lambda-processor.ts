import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantProcessorAccess } from './grants';
import { IBoundProcessor, Processor, ProcessorBindContext } from './processor';

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
   * Reserved concurrency: the most files processed at once. It protects the
   * database from a burst of uploads opening too many connections.
   *
   * @default 5
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * How many times Lambda retries a failed asynchronous invocation (0-2)
   * before sending it to the dead-letter queue.
   *
   * @default 2
   */
  readonly retryAttempts?: number;

  /**
   * How long Lambda keeps retrying an event (60 seconds to 6 hours).
   *
   * @default Duration.hours(6)
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
   * How long failed events stay in the dead-letter queue.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
}

/** The Node.js runtime of the processor function. */
export const PROCESSOR_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * Runs the processor program as a zip Lambda function in the processing
 * VPC's private subnets, invoked asynchronously by S3 notifications, with
 * retries, a maximum event age and an encrypted SQS on-failure destination.
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
  public readonly migrationFunction?: lambda.IFunction;
  /** The function's log group. */
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, context: ProcessorBindContext, options: LambdaProcessorOptions) {
    super(scope, id);

    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: options.deadLetterRetention ?? Duration.days(14),
    });
    this.deadLetterQueue = deadLetterQueue;

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: options.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    this.logGroup = logGroup;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: context.vpc,
      description: 'Pipeline processor function: HTTPS out to AWS APIs; database access added by the pipeline',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (VPC endpoints or NAT)');
    this.securityGroup = securityGroup;

    // A role of our own, so Lambda's broad managed policies are not attached.
    const role = new iam.Role(this, 'Role', {
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

    this.function = new lambda.Function(this, 'Function', {
      description: 'cdk-data-pipeline processor: claims, parses and loads uploaded CSV files',
      runtime: PROCESSOR_RUNTIME,
      architecture: options.architecture ?? lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', '..', 'assets', 'runtime', 'processor.lambda')),
      memorySize: options.memorySize ?? 1024,
      timeout: options.timeout ?? Duration.minutes(5),
      reservedConcurrentExecutions: options.reservedConcurrentExecutions ?? 5,
      retryAttempts: options.retryAttempts ?? 2,
      maxEventAge: options.maxEventAge ?? Duration.hours(6),
      onFailure: new destinations.SqsDestination(deadLetterQueue),
      vpc: context.vpc,
      vpcSubnets: context.vpcSubnets,
      securityGroups: [securityGroup],
      role,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...context.environment,
      },
    });
    this.connections = this.function.connections;
    this.migrationFunction = this.function;

    grantProcessorAccess(role, context);
  }

  public addUploadSource(bucket: s3.IBucket, filter: s3.NotificationKeyFilter): void {
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.function), filter);
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
  if (o.reservedConcurrentExecutions !== undefined && (!Number.isInteger(o.reservedConcurrentExecutions) || o.reservedConcurrentExecutions < 1)) {
    throw new Error(`Processor.lambda(): reservedConcurrentExecutions must be a whole number >= 1 (got ${o.reservedConcurrentExecutions})`);
  }
  if (o.retryAttempts !== undefined && (!Number.isInteger(o.retryAttempts) || o.retryAttempts < 0 || o.retryAttempts > 2)) {
    throw new Error(`Processor.lambda(): retryAttempts must be 0, 1 or 2 (got ${o.retryAttempts})`);
  }
  if (o.maxEventAge !== undefined && (o.maxEventAge.toSeconds() < 60 || o.maxEventAge.toSeconds() > 21600)) {
    throw new Error(`Processor.lambda(): maxEventAge must be between 60 seconds and 6 hours (got ${o.maxEventAge.toHumanString()})`);
  }
}
