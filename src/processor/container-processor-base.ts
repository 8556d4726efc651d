import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BoundProcessorBase } from './bound-processor-base';
import { checkpointEnvironment, DEFAULT_CONTAINER_CHECKPOINT_EVERY, validateCheckpointEvery } from './checkpoint-option';
import { grantProcessorAccess } from './grants';
import { createMigrationFunction } from './migration-function';
import { ProcessorBindContext, ScheduledRunOptions } from './processor';
import { createScheduledRun, scheduledRunCommand } from './scheduled-run';
import { uploadEventPattern } from './upload-events';
import { containerProcessorAcknowledgments } from '../nag-acknowledgments';
import { ManagedPolicyRole } from '../security/managed-policy-role';
import { ENV } from '../shared/env';

/** The name of the processor's container in the task or job definition. */
export const CONTAINER_NAME = 'processor';

/** Where the container's scratch volume is mounted (its root filesystem is read-only). */
export const SCRATCH_PATH = '/tmp';

/**
 * Options the container processors (`Processor.fargate()`, `Processor.batch()`) share.
 */
export interface ContainerProcessorOptions {
  /**
   * The image the task or job runs. It must run the package's CLI (`run`
   * with the flags the processor passes) with the same environment
   * contract. `cdk deploy` builds an image asset with Docker; without
   * Docker, build it in AWS at deploy time with `@cdklabs/deploy-time-build`
   * (`ContainerImageBuild`, whose `toEcsDockerImageCode()` is an
   * `ecs.ContainerImage`).
   *
   * @default - the package's image (`assets/container`), built by `cdk deploy`
   */
  readonly image?: ecs.ContainerImage;

  /**
   * Retention of the container's logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How long EventBridge keeps trying to start a run for an upload (it
   * retries up to 2 times more) before the event moves to the dead-letter
   * queue. Between 1 minute and 24 hours.
   *
   * @default Duration.hours(24)
   */
  readonly maxEventAge?: Duration;

  /**
   * How long events of uploads that could not start a run stay in the
   * dead-letter queue (at most 14 days).
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;

  /**
   * Load files with sinks in checkpointed chunks of this many rows: each
   * chunk commits with the file's checkpoint, so a Spot reclaim, a stopped
   * task or a crash keeps what was loaded and the next run of the object
   * resumes after it (readers see a file's rows as its chunks commit).
   * 0: one transaction per file.
   *
   * @default 10000
   */
  readonly checkpointEvery?: number;
}

/** What the rule and schedule targets of a container processor are given. @internal */
export interface UploadTargetProps {
  /** The role EventBridge starts the run with (a managed policy; the target adds its statements). */
  readonly role: iam.IRole;
  readonly deadLetterQueue: sqs.IQueue;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/** EventBridge's retries of a run it could not start for an upload. */
const UPLOAD_RETRY_ATTEMPTS = 2;

/**
 * The container processors' shared wiring: task (or job) role with the same
 * data grants as the Lambda, execution role, environment (including
 * `PIPELINE_SINKS`, which containers take as environment), image, log
 * group, the EventBridge rule per upload source with its retry policy and
 * encrypted dead-letter queue, scheduled runs, failure notifications and
 * the deploy-time migration function.
 */
export abstract class BoundContainerProcessor extends BoundProcessorBase {
  public readonly role: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  /**
   * Where EventBridge puts upload events it could not start a run for
   * after its retries (encrypted, TLS only).
   */
  public readonly deadLetterQueue?: sqs.IQueue;
  /** Container processors read from no queue. */
  public readonly queue?: sqs.IQueue;
  public readonly migrationFunction?: lambda.Function;
  /** The role the container's code runs with. */
  public readonly taskRole: iam.IRole;
  /** The role ECS pulls the image and writes the logs with. */
  public readonly executionRole: iam.IRole;
  /** The image the container runs. */
  public readonly image: ecs.ContainerImage;
  /** The rules that start a run per uploaded object, one per upload source. */
  public readonly uploadRules: events.Rule[] = [];
  /** The role EventBridge (rules) starts runs with. */
  public readonly eventRole: iam.IRole;

  /** The environment of the container (the runtime's contract, sinks included). */
  protected readonly containerEnvironment: { [key: string]: string };
  private readonly maxEventAge: Duration;

  constructor(scope: Construct, id: string, context: ProcessorBindContext, options: ContainerProcessorOptions,
    interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[], description: string, defaultImage: ecs.ContainerImage) {
    super(scope, id, context, interfaceEndpoints, description, options.logRetention);
    this.maxEventAge = options.maxEventAge ?? Duration.hours(24);

    // Roles of our own: their statements go to one managed policy each, never an inline one.
    const taskRole = new ManagedPolicyRole(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${description}: the processor program`,
    });
    grantProcessorAccess(taskRole, context);
    this.taskRole = taskRole;
    this.role = taskRole;
    this.grantPrincipal = taskRole;
    this.executionRole = new ManagedPolicyRole(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${description}: pull the image, write the logs`,
    });
    this.eventRole = new ManagedPolicyRole(this, 'EventRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `${description}: EventBridge starts a run per upload`,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: options.deadLetterRetention ?? Duration.days(14),
    });
    this.image = options.image ?? defaultImage;
    // Containers take the sink configuration as environment: ECS and Batch allow far more than Lambda's 4 KB.
    this.containerEnvironment = {
      ...context.environment,
      ...checkpointEnvironment(options.checkpointEvery ?? DEFAULT_CONTAINER_CHECKPOINT_EVERY),
      [ENV.SINKS]: context.sinksJson,
    };
    // Without a database there is no schema to migrate.
    this.migrationFunction = context.databaseSecret ? createMigrationFunction(this, context, this.securityGroup) : undefined;
  }

  /** What the upload rules' targets are given (role, DLQ, retries, event age). @internal */
  protected _uploadTargetProps(): UploadTargetProps {
    return { role: this.eventRole, deadLetterQueue: this.deadLetterQueue!, retryAttempts: UPLOAD_RETRY_ATTEMPTS, maxEventAge: this.maxEventAge };
  }

  public addUploadSource(bucket: s3.IBucket, filter: s3.NotificationKeyFilter): void {
    const rule = new events.Rule(this, `Upload${this.uploadRules.length}`, {
      description: `cdk-data-pipeline: start the processor for objects created in ${bucket.node.path}`,
      eventPattern: uploadEventPattern(bucket, filter),
    });
    this._addUploadTarget(rule, this._uploadTargetProps());
    this.uploadRules.push(rule);
  }

  public addScheduledRun(scope: Construct, id: string, options: ScheduledRunOptions): void {
    const command = scheduledRunCommand(options);
    const run = createScheduledRun(scope, id, options, (base) => new schedulerTargets.Universal({
      ...base,
      ...this._scheduledRunCall(command),
    }));
    this.addScheduleDeadLetterQueue(run.deadLetterQueue);
    this.nagAcknowledgments.push(...run.acknowledgments);
  }

  /** Upload events EventBridge could not deliver to the target (AWS/Events FailedInvocations, summed per minute). */
  public metricFailedInvocations(): cloudwatch.IMetric {
    const metrics = this.uploadRules.map((rule) => new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      dimensionsMap: { RuleName: rule.ruleName },
      statistic: 'Sum',
      period: Duration.minutes(1),
    }));
    if (metrics.length === 1) return metrics[0];
    return new cloudwatch.MathExpression({
      expression: metrics.length === 0 ? '0' : metrics.map((_, i) => `m${i}`).join('+'),
      usingMetrics: Object.fromEntries(metrics.map((m, i) => [`m${i}`, m])),
      period: Duration.minutes(1),
      label: 'FailedInvocations',
    });
  }

  /**
   * Acknowledges the findings of the container processor's resources; the
   * variant calls it at the end of its constructor, once its resources exist.
   *
   * @internal
   */
  protected _acknowledgeContainerFindings(extra: { taggedTasksArn?: string; taskDefinition?: Construct; instanceRole?: Construct }): void {
    this.acknowledge(containerProcessorAcknowledgments(this, {
      executionRole: this.executionRole,
      eventRole: this.eventRole,
      deadLetterQueue: this.deadLetterQueue!,
      migrationFunction: this.migrationFunction,
      migrationRole: this.migrationFunction?.role,
      ...extra,
    }));
  }

  /** Adds this processor's target (ECS task or Batch job) for one object to an upload rule. @internal */
  protected abstract _addUploadTarget(rule: events.Rule, props: UploadTargetProps): void;

  /**
   * The scheduler's universal-target call (service, action, request and the
   * statements that allow it) that starts one run with `command`.
   *
   * @internal
   */
  protected abstract _scheduledRunCall(command: string[]): ScheduledRunCall;
}

/** One API call EventBridge Scheduler makes to start a scheduled run. @internal */
export interface ScheduledRunCall {
  readonly service: string;
  readonly action: string;
  readonly input: scheduler.ScheduleTargetInput;
  readonly policyStatements: iam.PolicyStatement[];
}

/**
 * Checks the options both container processors share; `factory` names the
 * factory in messages.
 *
 * @internal
 */
export function validateContainerOptions(factory: string, o: ContainerProcessorOptions): void {
  validateCheckpointEvery(factory, o.checkpointEvery);
  const age = o.maxEventAge?.toSeconds();
  if (age !== undefined && (age < 60 || age > 86400)) {
    throw new Error(`${factory}: maxEventAge must be between 1 minute and 24 hours (EventBridge's limits) (got ${o.maxEventAge!.toHumanString()})`);
  }
  const retention = o.deadLetterRetention?.toSeconds();
  if (retention !== undefined && (retention < 60 || retention > Duration.days(14).toSeconds())) {
    throw new Error(`${factory}: deadLetterRetention must be between 1 minute and 14 days (got ${o.deadLetterRetention!.toHumanString()})`);
  }
}
