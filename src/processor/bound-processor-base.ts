import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IBoundProcessor, ProcessorBindContext, ScheduledRunOptions } from './processor';
import type { PipelineMonitoring } from '../monitoring/pipeline-monitoring';
import { applyAcknowledgments, NagAcknowledgment } from '../nag-acknowledgments';
import { DEFAULT_METRICS_NAMESPACE, ENV, METRIC, METRIC_DIMENSION } from '../shared/env';

/**
 * What every bound processor wires the same way: its security group (HTTPS
 * out only; the pipeline adds database access), log group, the runtime's
 * metrics, and the alarms on the dead-letter queues of its event and
 * schedule targets. The variants add how files reach them.
 */
export abstract class BoundProcessorBase extends Construct implements IBoundProcessor {
  public readonly securityGroup: ec2.ISecurityGroup;
  public abstract readonly role: iam.IRole;
  public abstract readonly grantPrincipal: iam.IPrincipal;
  public readonly connections: ec2.Connections;
  /** The log group of the processor's code (retention `logRetention`, encrypted with the pipeline's log key). */
  public readonly logGroup: logs.ILogGroup;
  public abstract readonly deadLetterQueue?: sqs.IQueue;
  public abstract readonly queue?: sqs.IQueue;
  public abstract readonly migrationFunction?: lambda.Function;
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[];
  /**
   * The dead-letter queues of the processor's scheduled runs: where the
   * scheduler keeps the runs it could not start after its retries.
   */
  public readonly scheduleDeadLetterQueues: sqs.IQueue[] = [];
  private readonly scheduleDeadLetterWhat: (string | undefined)[] = [];
  /**
   * The cdk-nag findings of the processor's own resources that it
   * acknowledges (each with its reason), applied by the processor.
   */
  public readonly nagAcknowledgments: NagAcknowledgment[] = [];

  /** The CloudWatch namespace and pipeline name the runtime's metrics carry. */
  protected readonly metricsNamespace: string;
  /** The pipeline's name, as in its notifications and metric dimensions. */
  protected readonly pipelineName: string;
  private monitoring?: PipelineMonitoring;

  /**
   * Creates what every processor has: its security group and its log group.
   *
   * @param scope - the pipeline
   * @param id - scope-unique id
   * @param context - what the pipeline gives the processor
   * @param interfaceEndpoints - interface VPC endpoints the processor calls
   * @param description - what the processor is, in its resources' descriptions
   * @param logRetention - how long the processor's logs are kept; by default one year
   */
  constructor(scope: Construct, id: string, context: ProcessorBindContext,
    interfaceEndpoints: ec2.InterfaceVpcEndpointAwsService[], description: string, logRetention?: logs.RetentionDays) {
    super(scope, id);
    this.interfaceEndpoints = interfaceEndpoints;
    this.metricsNamespace = context.environment[ENV.METRICS_NAMESPACE] ?? DEFAULT_METRICS_NAMESPACE;
    this.pipelineName = context.environment[ENV.PIPELINE_NAME] ?? '';
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: context.vpc,
      description: `${description}: HTTPS out to AWS APIs; database access added by the pipeline`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (VPC endpoints or NAT)');
    this.securityGroup = securityGroup;
    this.connections = new ec2.Connections({ securityGroups: [securityGroup] });
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: context.logEncryptionKey,
    });
  }

  public abstract addUploadSource(bucket: s3.IBucket, filter: s3.NotificationKeyFilter): void;
  public abstract addScheduledRun(scope: Construct, id: string, options: ScheduledRunOptions): void;
  public abstract metricErrors(): cloudwatch.IMetric;

  /** The longest processing of one file per minute (the runtime's `ProcessingDuration`). */
  public metricDuration(): cloudwatch.IMetric | undefined {
    return this.runtimeMetric(METRIC.DURATION_MS, 'Maximum', Duration.minutes(1));
  }

  /**
   * Files processed successfully (the runtime's `FilesSucceeded`), summed
   * over `period`.
   *
   * @param period - the period summed over; by default 1 hour
   */
  public metricFilesSucceeded(period: Duration = Duration.hours(1)): cloudwatch.IMetric {
    return this.runtimeMetric(METRIC.FILES_SUCCEEDED, 'Sum', period);
  }

  public addMonitoring(monitoring: PipelineMonitoring): cloudwatch.Alarm[] {
    this.monitoring = monitoring;
    const alarms = this.scheduleDeadLetterQueues.map((dlq, i) => this.scheduleDeadLetterAlarm(monitoring, dlq, i, this.scheduleDeadLetterWhat[i]));
    return [...alarms, ...this.addOwnMonitoring(monitoring)];
  }

  /**
   * Records a scheduled run's dead-letter queue; a run added after the
   * alarms were created gets its alarm at once.
   *
   * @param dlq - the dead-letter queue of the run
   * @param what - the run, as the alarm's description names it; by default a description that fits any scheduled run
   */
  protected addScheduleDeadLetterQueue(dlq: sqs.IQueue, what?: string): void {
    this.scheduleDeadLetterQueues.push(dlq);
    this.scheduleDeadLetterWhat.push(what);
    if (this.monitoring) this.scheduleDeadLetterAlarm(this.monitoring, dlq, this.scheduleDeadLetterQueues.length - 1, what);
  }

  private scheduleDeadLetterAlarm(monitoring: PipelineMonitoring, dlq: sqs.IQueue, i: number, what?: string): cloudwatch.Alarm {
    return monitoring.addAlarm(`ScheduleDeadLetters${i}`,
      dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), {
        alarmDescription: `${this.pipelineName}: ${what ?? "a scheduled run could not be started after its retries; its request waits in the schedule's dead-letter queue"}`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
  }

  /** Applies and records acknowledgments of the processor's own findings. */
  protected acknowledge(acknowledgments: NagAcknowledgment[]): void {
    applyAcknowledgments(this, acknowledgments);
    this.nagAcknowledgments.push(...acknowledgments);
  }

  /**
   * The variant's own alarms and widgets.
   *
   * @param monitoring - the pipeline's alarms and dashboard, to add them to
   */
  protected addOwnMonitoring(monitoring: PipelineMonitoring): cloudwatch.Alarm[] {
    void monitoring;
    return [];
  }

  /** A metric the runtime emits (Embedded Metric Format), for this pipeline. */
  protected runtimeMetric(name: string, statistic: string, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: name,
      dimensionsMap: { [METRIC_DIMENSION]: this.pipelineName },
      statistic,
      period,
    });
  }
}
