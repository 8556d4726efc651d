import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { defaultContainerImage } from './container-image';
import {
  BoundContainerProcessor, CONTAINER_NAME, validateContainerOptions, ContainerProcessorOptions, SCRATCH_PATH, ScheduledRunCall, UploadTargetProps,
} from './container-processor-base';
import { validateFargateSize } from './fargate-sizes';
import { IBoundProcessor, Processor, ProcessorBindContext } from './processor';
import { UPLOAD_EVENT } from './upload-events';
import { metricRuleMatches, notifyFailedTasks } from '../monitoring/failure-notifications';
import type { PipelineMonitoring } from '../monitoring/pipeline-monitoring';
import { taggedTasksAcknowledgments } from '../nag-acknowledgments';

/**
 * Options of `Processor.fargate()`.
 */
export interface FargateProcessorOptions extends ContainerProcessorOptions {
  /**
   * CPU units of the task (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.
   *
   * @default 1024
   */
  readonly cpu?: number;

  /**
   * Memory of the task in MiB; it must be a size Fargate offers for `cpu`
   * (e.g. 2048 to 8192 in steps of 1024 for 1024 CPU units).
   *
   * @default 2048
   */
  readonly memoryLimitMiB?: number;

  /**
   * CPU architecture of the task (and of the image built for it).
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly architecture?: ecs.CpuArchitecture;

  /**
   * Run the tasks on Fargate Spot (up to 70% cheaper; a task can be
   * reclaimed with a 2-minute warning, on which the program saves its
   * checkpoint and exits 75; a rule then starts the task again with the
   * same command, and it resumes from the checkpoint).
   *
   * @default false
   */
  readonly spot?: boolean;

  /**
   * How long ECS waits after SIGTERM before it kills the container. The
   * program rolls back the open chunk, saves its checkpoint and exits well
   * within it. At most 120 seconds (Fargate's limit).
   *
   * @default Duration.seconds(120)
   */
  readonly stopTimeout?: Duration;
}

/** Fargate's longest stop timeout. */
const MAX_STOP_TIMEOUT = Duration.seconds(120);

/**
 * What a Fargate task pulls and writes through interface endpoints when the
 * VPC has no NAT (S3, which holds the image layers, is a gateway endpoint).
 */
const FARGATE_ENDPOINTS = [
  ec2.InterfaceVpcEndpointAwsService.ECR,
  ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  ec2.InterfaceVpcEndpointAwsService.STS,
];

/**
 * Runs the processor program as one ECS Fargate task per uploaded object,
 * in the processing subnets without a public IP. Uploads reach it through
 * EventBridge ("Object Created" events of the input bucket), which starts
 * the task with `run --bucket B --key K --version-id V --sequencer S`,
 * retries twice and keeps what it could not start in a dead-letter queue.
 * Object keys reach the task as stored: EventBridge does not URL-encode
 * them (S3's own notifications to SQS, SNS and Lambda do).
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
export class FargateProcessor extends Processor {
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[] = FARGATE_ENDPOINTS;

  /**
   * A Fargate processor; `Processor.fargate()` is the same.
   *
   * @param options - the task's settings; each has a default
   */
  constructor(private readonly options: FargateProcessorOptions = {}) {
    super();
    validateFargateOptions(options);
  }

  public bind(scope: Construct, context: ProcessorBindContext): IBoundProcessor {
    return new BoundFargateProcessor(scope, 'FargateProcessor', context, this.options);
  }
}

/**
 * The resources of a bound {@link FargateProcessor}.
 */
export class BoundFargateProcessor extends BoundContainerProcessor {
  /** The cluster (Container Insights on). */
  public readonly cluster: ecs.Cluster;
  /** The task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The processor container. */
  public readonly container: ecs.ContainerDefinition;
  /** The rule that notifies the topic of tasks that stopped with a non-zero exit code. */
  public readonly failedTaskRule: events.Rule;
  /** With `spot`: the rule that starts a task stopped by a Spot reclaim again. */
  public readonly restartRule?: events.Rule;
  private tagResourceAcknowledged = false;

  private readonly spot: boolean;
  private readonly subnets: ec2.SubnetSelection;
  private readonly subnetIds: string[];

  /**
   * Creates the processor's resources (called by `FargateProcessor.bind()`).
   *
   * @param scope - the pipeline
   * @param id - scope-unique id
   * @param context - what the pipeline gives the processor
   * @param options - the task's settings
   */
  constructor(scope: Construct, id: string, context: ProcessorBindContext, options: FargateProcessorOptions) {
    const architecture = options.architecture ?? ecs.CpuArchitecture.X86_64;
    super(scope, id, context, options, FARGATE_ENDPOINTS, 'Pipeline processor task', defaultContainerImage(architecture));
    this.spot = options.spot ?? false;
    this.subnets = context.vpcSubnets;
    this.subnetIds = context.vpc.selectSubnets(context.vpcSubnets).subnetIds;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: context.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    if (this.spot) this.cluster.enableFargateCapacityProviders();

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: options.cpu ?? 1024,
      memoryLimitMiB: options.memoryLimitMiB ?? 2048,
      runtimePlatform: { cpuArchitecture: architecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      volumes: [{ name: 'scratch' }],
    });
    this.container = this.taskDefinition.addContainer(CONTAINER_NAME, {
      image: this.image,
      essential: true,
      environment: this.containerEnvironment,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'ecs' }),
      readonlyRootFilesystem: true,
      stopTimeout: options.stopTimeout ?? MAX_STOP_TIMEOUT,
    });
    this.container.addMountPoints({ containerPath: SCRATCH_PATH, sourceVolume: 'scratch', readOnly: false });

    this.failedTaskRule = notifyFailedTasks(this, 'FailedTasks', this.cluster, this.taskDefinition, {
      topic: context.topic, topicKey: context.topicKey, pipelineName: this.pipelineName, deadLetterQueue: this.deadLetterQueue!,
    });
    if (this.spot) this.restartRule = this.restartReclaimedTasks();
    this._acknowledgeContainerFindings({ taskDefinition: this.taskDefinition });
  }

  /**
   * With `spot`: starts a task that a Fargate Spot reclaim stopped again,
   * with the same command. The program saved its checkpoint on the
   * reclaim's SIGTERM, so the new task resumes the file there (and a file
   * already finished is a duplicate). Other stops are not restarted: a
   * failed file is final, and `ecs stop-task` means stop.
   */
  private restartReclaimedTasks(): events.Rule {
    const stack = Stack.of(this);
    const rule = new events.Rule(this, 'RestartReclaimed', {
      description: `${this.pipelineName}: start again a processor task a Fargate Spot reclaim stopped (it resumes from its checkpoint)`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [this.cluster.clusterArn],
          taskDefinitionArn: events.Match.prefix(`arn:${Aws.PARTITION}:ecs:${stack.region}:${stack.account}:task-definition/${this.taskDefinition.family}:`),
          lastStatus: ['STOPPED'],
          stopCode: ['SpotInterruption'],
        },
      },
    });
    this.addTaskTarget(rule, this._uploadTargetProps());
    // The same target as an upload's, with the stopped task's own command
    // (a JSON array, which the transformer inserts as it is).
    const cfn = rule.node.defaultChild as events.CfnRule;
    cfn.addPropertyDeletionOverride('Targets.0.Input');
    cfn.addPropertyOverride('Targets.0.InputTransformer', {
      InputPathsMap: { command: '$.detail.overrides.containerOverrides[0].command' },
      InputTemplate: `{"containerOverrides":[{"name":"${CONTAINER_NAME}","command":<command>}]}`,
    });
    return rule;
  }

  /** Tasks that stopped with a non-zero exit code or failed to start (matches of the failure rule, per minute). */
  public metricErrors(): cloudwatch.IMetric {
    return metricRuleMatches(this.failedTaskRule);
  }

  /** @internal */
  protected _addUploadTarget(rule: events.Rule, props: UploadTargetProps): void {
    this.addTaskTarget(rule, props, ['run', '--bucket', UPLOAD_EVENT.bucket, '--key', UPLOAD_EVENT.key,
      '--version-id', UPLOAD_EVENT.versionId, '--sequencer', UPLOAD_EVENT.sequencer]);
  }

  /** A RunTask target for the rule's first target; without `command`, the caller sets the input. */
  private addTaskTarget(rule: events.Rule, props: UploadTargetProps, command?: string[]): void {
    rule.addTarget(new targets.EcsTask({
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      role: props.role,
      subnetSelection: this.subnets,
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      containerOverrides: command ? [{ containerName: CONTAINER_NAME, command }] : undefined,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
    }));
    if (this.spot) {
      // The L2 target always sets LaunchType, which ECS refuses together
      // with a capacity-provider strategy: replace one with the other.
      const cfn = rule.node.defaultChild as events.CfnRule;
      cfn.addPropertyDeletionOverride('Targets.0.EcsParameters.LaunchType');
      cfn.addPropertyOverride('Targets.0.EcsParameters.CapacityProviderStrategy', [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
    }
    if (!this.tagResourceAcknowledged) {
      this.tagResourceAcknowledged = true;
      // The resource aws-cdk-lib's EcsTask target grants ecs:TagResource on (once per role).
      this.acknowledge(taggedTasksAcknowledgments(props.role,
        `arn:${Stack.of(this).partition}:ecs:${this.cluster.env.region}:*:task/${this.cluster.clusterName}/*`));
    }
  }

  /** @internal */
  protected _scheduledRunCall(command: string[]): ScheduledRunCall {
    return {
      service: 'ecs',
      action: 'runTask',
      input: scheduler.ScheduleTargetInput.fromObject({
        cluster: this.cluster.clusterArn,
        taskDefinition: this.taskDefinition.taskDefinitionArn,
        count: 1,
        ...(this.spot ? { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] } : { launchType: 'FARGATE' }),
        networkConfiguration: {
          awsvpcConfiguration: { subnets: this.subnetIds, securityGroups: [this.securityGroup.securityGroupId], assignPublicIp: 'DISABLED' },
        },
        overrides: { containerOverrides: [{ name: CONTAINER_NAME, command }] },
      }),
      policyStatements: [
        new iam.PolicyStatement({
          actions: ['ecs:RunTask'],
          resources: [this.taskDefinition.taskDefinitionArn],
          conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } },
        }),
        new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.taskRole.roleArn, this.executionRole.roleArn] }),
      ],
    };
  }

  protected addOwnMonitoring(monitoring: PipelineMonitoring): cloudwatch.Alarm[] {
    const insight = (metricName: string, label: string) => new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap: { ClusterName: this.cluster.clusterName, TaskDefinitionFamily: this.taskDefinition.family },
      statistic: 'Maximum',
      period: Duration.minutes(1),
      label,
    });
    monitoring.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Processor tasks: CPU and memory (Container Insights)',
        left: [insight('CpuUtilized', 'CPU units used')],
        right: [insight('MemoryUtilized', 'MiB used')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Processor tasks: running, failed, not started',
        left: [insight('RunningTaskCount', 'running')],
        right: [this.metricErrors(), this.metricFailedInvocations()],
        width: 12,
      }),
    );
    return [];
  }
}

function validateFargateOptions(o: FargateProcessorOptions): void {
  validateContainerOptions('Processor.fargate()', o);
  validateFargateSize('Processor.fargate()', o.cpu ?? 1024, o.memoryLimitMiB ?? 2048);
  const stop = o.stopTimeout?.toSeconds();
  if (stop !== undefined && (stop < 2 || stop > MAX_STOP_TIMEOUT.toSeconds())) {
    throw new Error(`Processor.fargate(): stopTimeout must be between 2 and 120 seconds, Fargate's limit (got ${o.stopTimeout!.toHumanString()})`);
  }
}
