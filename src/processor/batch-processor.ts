import { Duration, Size } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { batchRetryStrategies, validateStatusReasons } from './batch-retry';
import { defaultContainerImage } from './container-image';
import { BoundContainerProcessor, validateContainerOptions, ContainerProcessorOptions, SCRATCH_PATH, ScheduledRunCall, UploadTargetProps } from './container-processor-base';
import { validateFargateSize } from './fargate-sizes';
import { IBoundProcessor, Processor, ProcessorBindContext } from './processor';
import { UPLOAD_EVENT } from './upload-events';
import { metricRuleMatches, notifyFailedJobs } from '../monitoring/failure-notifications';
import type { PipelineMonitoring } from '../monitoring/pipeline-monitoring';
import type { SinkConfig } from '../shared/sink-config';

/** Where a Batch processor's jobs run. */
export enum BatchComputeType {
  /** AWS Fargate (Fargate Spot with `spot`): no instances to manage. */
  FARGATE = 'FARGATE',
  /** EC2 instances managed by Batch (EC2 Spot with `spot`, allocation SPOT_PRICE_CAPACITY_OPTIMIZED). */
  EC2 = 'EC2',
}

/**
 * Options of `Processor.batch()`.
 */
export interface BatchProcessorOptions extends ContainerProcessorOptions {
  /**
   * Where the jobs run.
   *
   * @default BatchComputeType.FARGATE
   */
  readonly computeType?: BatchComputeType;

  /**
   * Run on Spot capacity (Fargate Spot, or EC2 Spot with the
   * SPOT_PRICE_CAPACITY_OPTIMIZED allocation strategy). A reclaimed job is
   * retried and resumes from its last checkpoint.
   *
   * @default true
   */
  readonly spot?: boolean;

  /**
   * Instance classes of the EC2 compute environment (`computeType: EC2` only).
   *
   * @default - Batch's optimal classes (C, M and R families)
   */
  readonly ec2InstanceClasses?: ec2.InstanceClass[];

  /**
   * The most vCPUs the compute environment runs at once: with `vcpus` per
   * job, it caps how many files (and database connections) are processed
   * at the same time.
   *
   * @default 16
   */
  readonly maxvCpus?: number;

  /**
   * vCPUs of one job: 0.25, 0.5, 1, 2, 4, 8 or 16 (Fargate's sizes).
   *
   * @default 1
   */
  readonly vcpus?: number;

  /**
   * Memory of one job in MiB; on Fargate it must be a size Fargate offers
   * for `vcpus` (e.g. 2048 to 8192 in steps of 1024 for 1 vCPU).
   *
   * @default 2048
   */
  readonly memoryLimitMiB?: number;

  /**
   * CPU architecture of the Fargate jobs (and of the image built for them).
   * EC2 jobs run on x86 instances unless you give Graviton `ec2InstanceClasses`.
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly architecture?: ecs.CpuArchitecture;

  /**
   * How long one attempt of a job may run before Batch stops it (at least 60 seconds).
   *
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;

  /**
   * Attempts of a job, the first included (1-10). A Spot reclaim, a host
   * termination or an interruption (exit code 75) is retried; any other
   * exit code is an application error and ends the job.
   *
   * @default 3
   */
  readonly retryAttempts?: number;

  /**
   * More status reasons (Batch glob patterns, e.g. `CannotPullContainerError*`)
   * on which a failed attempt is retried. At most 2: Batch allows 5 retry
   * strategies and the processor uses 3.
   *
   * @default - only the processor's own strategies
   */
  readonly retryOnStatusReasons?: string[];

  /**
   * Split each uploaded file across the jobs of an AWS Batch array job of
   * this size (2-10000): child i loads part i of the file (its byte range,
   * cut at record boundaries), each part commits its own rows out of
   * readers' sight, and the last child to finish commits the whole file in
   * one transaction, with the same guarantees as one job (readers never see
   * part of a file; a retried child loads its part once; line numbers in
   * errors are the file's; under SKIP_AND_REPORT one rejects file lists
   * every part's rejected rows). For files too large for one job's time or
   * throughput. Needs exactly one table sink, `Sink.postgresTable` with
   * `parallelism` 2 or more (its table is partitioned by file, so the file
   * can be attached in one commit).
   * Scheduled runs (`addScheduledRun`) still run one job, which loads each
   * file whole. `maxvCpus` caps how many children run at once.
   *
   * @default - one job per uploaded file
   */
  readonly arraySize?: number;
}

/** Parts per file of an array job: the runtime's `PARTS_ENV` (src/runtime/load/parts/part-spec.ts). */
const PARTS_ENV = 'PIPELINE_PARTS';
/** AWS Batch's largest array job, and the runtime's `MAX_PARTS`. */
const MAX_ARRAY_SIZE = 10_000;

/** What Batch jobs call through interface endpoints when the VPC has no NAT. */
const BATCH_FARGATE_ENDPOINTS = [
  ec2.InterfaceVpcEndpointAwsService.ECR,
  ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  ec2.InterfaceVpcEndpointAwsService.STS,
];
/** On EC2, the instances' ECS agent also registers with ECS and reports telemetry. */
const BATCH_EC2_ENDPOINTS = [
  ...BATCH_FARGATE_ENDPOINTS,
  ec2.InterfaceVpcEndpointAwsService.ECS,
  ec2.InterfaceVpcEndpointAwsService.ECS_AGENT,
  ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
];

/**
 * Runs the processor program as one AWS Batch job per uploaded object (or,
 * with `arraySize`, one array job whose children each load a part of it), on
 * Fargate Spot by default. Uploads reach it through EventBridge, which
 * submits the job with the object as its parameters
 * (`run --bucket Ref::bucket --key Ref::key ...`); Spot reclaims and
 * interruptions are retried and resume from the last checkpoint.
 *
 * EventBridge notifications are turned on for the input bucket (aws-cdk-lib's
 * bucket-notifications custom resource, which keeps the bucket's other
 * notifications). For a bucket your stack imports but does not deploy, the
 * custom resource needs s3:PutBucketNotification on it; if its owner manages
 * its notifications elsewhere, have them enable "Send notifications to
 * Amazon EventBridge" on the bucket instead. With your own `topic`, its
 * resource policy (and its key's policy, if encrypted) must let
 * `events.amazonaws.com` publish, or failure notifications are not delivered.
 */
export class BatchProcessor extends Processor {
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[];

  /** @param options compute, sizing, retries and the image (see `BatchProcessorOptions`; every one has a default) */
  constructor(private readonly options: BatchProcessorOptions = {}) {
    super();
    validateBatchOptions(options);
    this.interfaceEndpoints = options.computeType === BatchComputeType.EC2 ? BATCH_EC2_ENDPOINTS : BATCH_FARGATE_ENDPOINTS;
  }

  public bind(scope: Construct, context: ProcessorBindContext): IBoundProcessor {
    return new BoundBatchProcessor(scope, 'BatchProcessor', context, this.options, this.interfaceEndpoints);
  }
}

/**
 * The resources of a bound {@link BatchProcessor}.
 */
export class BoundBatchProcessor extends BoundContainerProcessor {
  /** The managed compute environment. */
  public readonly computeEnvironment: batch.IManagedComputeEnvironment;
  /** The job queue. */
  public readonly jobQueue: batch.JobQueue;
  /** The job definition. */
  public readonly jobDefinition: batch.EcsJobDefinition;
  /** The rule that notifies the topic of jobs that failed after their last attempt. */
  public readonly failedJobRule: events.Rule;
  /** The size of the array job each upload submits; undefined: one job per upload. */
  public readonly arraySize?: number;

  constructor(scope: Construct, id: string, context: ProcessorBindContext, options: BatchProcessorOptions,
    interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[]) {
    const architecture = options.architecture ?? ecs.CpuArchitecture.X86_64;
    if (options.arraySize !== undefined) validateSplitSinks(context.sinksJson);
    super(scope, id, context, options, interfaceEndpoints, 'Pipeline processor job', defaultContainerImage(architecture));
    this.arraySize = options.arraySize;
    const spot = options.spot ?? true;
    const fargate = (options.computeType ?? BatchComputeType.FARGATE) === BatchComputeType.FARGATE;
    const common = {
      vpc: context.vpc,
      vpcSubnets: context.vpcSubnets,
      securityGroups: [this.securityGroup],
      maxvCpus: options.maxvCpus ?? 16,
      spot,
    };
    this.computeEnvironment = fargate
      ? new batch.FargateComputeEnvironment(this, 'ComputeEnvironment', common)
      : new batch.ManagedEc2EcsComputeEnvironment(this, 'ComputeEnvironment', {
        ...common,
        allocationStrategy: spot ? batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED : batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
        instanceClasses: options.ec2InstanceClasses,
        useOptimalInstanceClasses: options.ec2InstanceClasses === undefined,
      });
    this.jobQueue = new batch.JobQueue(this, 'JobQueue', {
      computeEnvironments: [{ computeEnvironment: this.computeEnvironment, order: 1 }],
    });

    const containerProps = {
      image: this.image,
      cpu: options.vcpus ?? 1,
      memory: Size.mebibytes(options.memoryLimitMiB ?? 2048),
      // The object arrives as job parameters (EventBridge sets them from the event).
      command: ['run', '--bucket', 'Ref::bucket', '--key', 'Ref::key', '--version-id', 'Ref::versionId', '--sequencer', 'Ref::sequencer'],
      // An array job's child reads its part from AWS_BATCH_JOB_ARRAY_INDEX (set by Batch); a plain job loads the file whole.
      environment: { ...this.containerEnvironment, ...(options.arraySize !== undefined ? { [PARTS_ENV]: String(options.arraySize) } : {}) },
      jobRole: this.taskRole,
      executionRole: this.executionRole,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'batch' }),
      readonlyRootFilesystem: true,
      volumes: [batch.EcsVolume.host({ name: 'scratch', containerPath: SCRATCH_PATH })],
    };
    const container = fargate
      ? new batch.EcsFargateContainerDefinition(this, 'Container', {
        ...containerProps,
        fargateCpuArchitecture: architecture,
        fargateOperatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      })
      : new batch.EcsEc2ContainerDefinition(this, 'Container', containerProps);
    this.jobDefinition = new batch.EcsJobDefinition(this, 'JobDefinition', {
      container,
      retryAttempts: options.retryAttempts ?? 3,
      retryStrategies: batchRetryStrategies(options.retryOnStatusReasons),
      timeout: options.timeout ?? Duration.hours(6),
      // Defaults for what an unversioned bucket's events do not carry.
      parameters: { versionId: '', sequencer: '' },
    });

    this.failedJobRule = notifyFailedJobs(this, 'FailedJobs', this.jobQueue, {
      topic: context.topic, topicKey: context.topicKey, pipelineName: this.pipelineName, deadLetterQueue: this.deadLetterQueue!,
    });
    this._acknowledgeContainerFindings({ instanceRole: this.computeEnvironment.node.tryFindChild('InstanceProfileRole') as Construct | undefined });
  }

  /** Jobs that failed after their last attempt (matches of the failure rule, per minute). */
  public metricErrors(): cloudwatch.IMetric {
    return metricRuleMatches(this.failedJobRule);
  }

  /** @internal */
  protected _addUploadTarget(rule: events.Rule, props: UploadTargetProps): void {
    rule.addTarget(new SubmitJobTarget(this.jobQueue.jobQueueArn, this.jobDefinition.jobDefinitionArn, props, this.arraySize));
  }

  /** @internal */
  protected _scheduledRunCall(command: string[]): ScheduledRunCall {
    return {
      service: 'batch',
      action: 'submitJob',
      input: scheduler.ScheduleTargetInput.fromObject({
        jobName: 'scheduled-run',
        jobQueue: this.jobQueue.jobQueueArn,
        jobDefinition: this.jobDefinition.jobDefinitionArn,
        containerOverrides: { command },
      }),
      policyStatements: [new iam.PolicyStatement({
        actions: ['batch:SubmitJob'],
        resources: [this.jobQueue.jobQueueArn, this.jobDefinition.jobDefinitionArn],
      })],
    };
  }

  protected addOwnMonitoring(monitoring: PipelineMonitoring): cloudwatch.Alarm[] {
    monitoring.addWidgets(new cloudwatch.GraphWidget({
      title: 'Processor jobs: failed after their last attempt, not submitted',
      left: [this.metricErrors()],
      right: [this.metricFailedInvocations()],
      width: 24,
    }));
    return [];
  }
}

/**
 * EventBridge target that submits one job per event with the object as
 * the job's parameters. The L2 `BatchJob` target creates a role with an
 * inline policy; this one uses the processor's event role (a managed policy).
 */
class SubmitJobTarget implements events.IRuleTarget {
  constructor(
    private readonly jobQueueArn: string,
    private readonly jobDefinitionArn: string,
    private readonly props: UploadTargetProps,
    /** Submit an array job of this size (the file split across its children); undefined: a plain job. */
    private readonly arraySize?: number,
  ) {}

  public bind(rule: events.IRule): events.RuleTargetConfig {
    this.props.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['batch:SubmitJob'],
      resources: [this.jobQueueArn, this.jobDefinitionArn],
    }));
    targets.addToDeadLetterQueueResourcePolicy(rule, this.props.deadLetterQueue);
    return {
      arn: this.jobQueueArn,
      role: this.props.role,
      batchParameters: {
        jobDefinition: this.jobDefinitionArn,
        jobName: 'upload',
        ...(this.arraySize !== undefined ? { arrayProperties: { size: this.arraySize } } : {}),
      },
      input: events.RuleTargetInput.fromObject({
        Parameters: {
          bucket: UPLOAD_EVENT.bucket,
          key: UPLOAD_EVENT.key,
          versionId: UPLOAD_EVENT.versionId,
          sequencer: UPLOAD_EVENT.sequencer,
        },
      }),
      deadLetterConfig: { arn: this.props.deadLetterQueue.queueArn },
      retryPolicy: {
        maximumRetryAttempts: this.props.retryAttempts,
        maximumEventAgeInSeconds: this.props.maxEventAge.toSeconds(),
      },
    };
  }
}

/** Fargate's job sizes in vCPUs. */
const FARGATE_VCPUS = [0.25, 0.5, 1, 2, 4, 8, 16];

function validateBatchOptions(o: BatchProcessorOptions): void {
  validateContainerOptions('Processor.batch()', o);
  const fargate = (o.computeType ?? BatchComputeType.FARGATE) === BatchComputeType.FARGATE;
  const vcpus = o.vcpus ?? 1;
  if (fargate) {
    if (!FARGATE_VCPUS.includes(vcpus)) {
      throw new Error(`Processor.batch(): vcpus must be one of ${FARGATE_VCPUS.join(', ')} on Fargate (got ${vcpus})`);
    }
    validateFargateSize('Processor.batch()', vcpus * 1024, o.memoryLimitMiB ?? 2048);
    if (o.ec2InstanceClasses !== undefined) {
      throw new Error('Processor.batch(): ec2InstanceClasses applies only to computeType: BatchComputeType.EC2: remove it, or set computeType');
    }
  } else if (!Number.isInteger(vcpus) || vcpus < 1) {
    throw new Error(`Processor.batch(): vcpus must be a whole number >= 1 on EC2 (got ${vcpus})`);
  }
  const max = o.maxvCpus;
  if (max !== undefined && (!Number.isInteger(max) || max < Math.ceil(vcpus))) {
    throw new Error(`Processor.batch(): maxvCpus must be a whole number of at least vcpus (${vcpus}), or no job could start (got ${max})`);
  }
  const attempts = o.retryAttempts;
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1 || attempts > 10)) {
    throw new Error(`Processor.batch(): retryAttempts must be a whole number between 1 and 10, AWS Batch's limits (got ${attempts})`);
  }
  if (o.timeout !== undefined && o.timeout.toSeconds() < 60) {
    throw new Error(`Processor.batch(): timeout must be at least 60 seconds, AWS Batch's minimum (got ${o.timeout.toHumanString()})`);
  }
  validateStatusReasons(o.retryOnStatusReasons ?? []);
  const size = o.arraySize;
  if (size !== undefined && (!Number.isInteger(size) || size < 2 || size > MAX_ARRAY_SIZE)) {
    throw new Error(`Processor.batch(): arraySize must be a whole number from 2 to ${MAX_ARRAY_SIZE}, AWS Batch's array sizes (got ${size}); `
      + 'leave it out to load each file in one job');
  }
}

/** `arraySize` splits files into one table sink partitioned by file; anything else cannot take a file in parts. */
function validateSplitSinks(sinksJson: string): void {
  const sinks = JSON.parse(sinksJson) as SinkConfig[];
  const tables = sinks.filter((c): c is Extract<SinkConfig, { kind: 'postgresTable' }> => c.kind === 'postgresTable');
  const others = sinks.filter((c) => c.kind !== 'postgresTable').map((c) => c.kind);
  const prefix = 'Processor.batch(): arraySize splits each file across the jobs of an array job, ';
  if (tables.length !== 1 || others.length > 0) {
    throw new Error(`${prefix}which needs exactly one Sink.postgresTable and no other sink (got ${tables.length} table sink(s)`
      + `${others.length ? ` and ${others.join(', ')}` : ''}); remove arraySize, or keep only the table sink`);
  }
  const table = tables[0];
  if ((table.parallelism ?? 1) < 2) {
    throw new Error(`${prefix}whose parts are committed as one partition of the table: give Sink.postgresTable({ table: '${table.table}' }) `
      + `parallelism 2 or more (its table is then partitioned by file; got ${table.parallelism ?? 1})`);
  }
}
