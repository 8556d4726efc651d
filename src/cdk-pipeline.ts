import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CdkPipelineProps } from './cdk-pipeline-props';
import { PipelineDatabase } from './database';
import { kafkaNagAcknowledgments } from './kafka/kafka-acknowledgments';
import { Ledger } from './ledger';
import { addMigrationOnDeploy } from './migrate-on-deploy';
import { PipelineMonitoring } from './monitoring';
import { addKafkaAlarms } from './monitoring/kafka-alarms';
import { addPipelineAlarms } from './monitoring/pipeline-alarms';
import { applyAcknowledgments, NagAcknowledgment, pipelineAcknowledgments } from './nag-acknowledgments';
import { PipelineBastion, PipelineNetwork } from './network';
import { addPipelineBastion } from './network/bastion-options';
import { rulesWaitForPeering } from './network/wait-for-peering';
import { validateLedgerProps, validatePipelineProps } from './pipeline-validation';
import { BoundProcessorBase, BoundQueueLambdaProcessor, IBoundProcessor, Processor } from './processor';
import { processorObjectArns } from './processor/grants';
import { runtimeEnvironment } from './processor/runtime-environment';
import { allowCloudWatchLogs, createPipelineKey } from './security/pipeline-key';
import { DEFAULT_METRICS_NAMESPACE } from './shared/env';
import { PipelineStorage } from './storage';
import { Trigger } from './trigger';
import { ScheduleTrigger } from './trigger/schedule-trigger';

/**
 * A complete, secure CSV ingestion pipeline: upload a CSV to the input
 * bucket, the processor claims it exactly once, counts (and optionally
 * loads) its rows into RDS PostgreSQL, writes a result to the output bucket
 * and a copy to the backup bucket, and notifies the topic; alarms watch
 * every step.
 *
 * @example
 * new CdkPipeline(this, 'Pipeline', { notificationEmails: ['ops@example.com'] });
 */
export class CdkPipeline extends Construct {
  /** The VPCs, peering and endpoints. */
  public readonly network: PipelineNetwork;
  /** The buckets. */
  public readonly storage: PipelineStorage;
  /** The database; none with `Ledger.dynamoDb()`. */
  public readonly database?: PipelineDatabase;
  /** The DynamoDB table of the ledger, with `Ledger.dynamoDb()`. */
  public readonly ledgerTable?: dynamodb.ITable;
  /** Topic, alarms and dashboard. */
  public readonly monitoring: PipelineMonitoring;
  /** The bound processor. */
  public readonly processor: IBoundProcessor;
  /** The bastion, unless disabled. */
  public readonly bastion?: PipelineBastion;
  /** Where CSV files are uploaded. */
  public readonly inputBucket: s3.IBucket;
  /** Where results and rejects are written. */
  public readonly outputBucket: s3.IBucket;
  /** Where input copies are kept. */
  public readonly backupBucket: s3.IBucket;
  /** Notification topic. */
  public readonly topic: sns.ITopic;
  /** VPC of the processor. */
  public readonly processingVpc: ec2.IVpc;
  /** VPC of the database, when there is one. */
  public readonly databaseVpc?: ec2.IVpc;
  /** Name used in notifications and metric dimensions. */
  public readonly pipelineName: string;
  /** Every alarm of the pipeline. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The key of the log groups, database secret, buckets and topic (`encryptionKey`, or created). */
  public readonly encryptionKey: kms.IKey;
  /**
   * The cdk-nag findings this pipeline acknowledges (AwsSolutions, HIPAA
   * Security, NIST 800-53 R5, PCI DSS 3.2.1 and Serverless packs), each with
   * its reason. They are attached with `Validations.of(...).acknowledge()`,
   * so an app that runs these packs sees no other finding from the pipeline.
   */
  public readonly nagAcknowledgments: NagAcknowledgment[];

  /**
   * Creates the pipeline.
   *
   * @param scope - the stack or construct it belongs to
   * @param id - scope-unique id
   * @param props - the pipeline's settings; each has a default, so `new CdkPipeline(stack, 'Pipeline')` alone works
   */
  constructor(scope: Construct, id: string, props: CdkPipelineProps = {}) {
    super(scope, id);
    validatePipelineProps(props);
    const processor = props.processor ?? Processor.lambdaZip();
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.pipelineName = props.pipelineName ?? this.node.path;
    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, 'Key', removalPolicy);
    if (props.encryptionKey) allowCloudWatchLogs(props.encryptionKey);
    const ledger = props.ledger ?? Ledger.postgres();
    const ledgerConfig = ledger.bind(this, { encryptionKey: this.encryptionKey, removalPolicy });
    this.ledgerTable = ledgerConfig.table;
    const inDatabase = ledgerConfig.inDatabase;

    this.network = new PipelineNetwork(this, 'Network', {
      // Without a database: one VPC, reaching DynamoDB through a gateway endpoint, no Secrets Manager endpoint.
      singleVpc: inDatabase ? props.singleVpc : true,
      ...(inDatabase ? {} : {
        interfaceEndpoints: [ec2.InterfaceVpcEndpointAwsService.SNS, ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
        gatewayEndpoints: [ec2.GatewayVpcEndpointAwsService.DYNAMODB],
      }),
      processingVpc: props.processingVpc,
      databaseVpc: props.databaseVpc,
      processingCidr: props.processingCidr,
      databaseCidr: props.databaseCidr,
      natGateways: props.natGateways,
      maxAzs: props.maxAzs,
      vpcEndpoints: props.vpcEndpoints,
      flowLogEncryptionKey: this.encryptionKey,
      removalPolicy,
    });
    this.processingVpc = this.network.processingVpc;
    processor.interfaceEndpoints.forEach((s) => this.network.addInterfaceEndpoint(s));

    this.storage = new PipelineStorage(this, 'Storage', {
      inputBucket: props.inputBucket,
      outputBucket: props.outputBucket,
      backupBucket: props.backupBucket,
      encryptionKey: props.bucketEncryptionKey ?? this.encryptionKey,
      backupRetention: props.backupRetention,
      backupReplicationBucket: props.backupReplicationBucket,
      removalPolicy,
    });
    this.inputBucket = this.storage.inputBucket;
    this.outputBucket = this.storage.outputBucket;
    this.backupBucket = this.storage.backupBucket;

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      topic: props.topic,
      // One key for the pipeline: the topic's too, when the construct creates both.
      encryptionKey: props.topic || props.encryptionKey ? undefined : this.encryptionKey,
      notificationEmails: props.notificationEmails,
      dashboard: props.dashboard,
    });
    this.topic = this.monitoring.topic;

    const sinks = props.sinks ?? [];
    const bound = sinks.map((s) => s.bind(this, {
      vpc: this.network.processingVpc, vpcSubnets: this.network.processingSubnets, encryptionKey: this.encryptionKey, removalPolicy,
    }));
    validateLedgerProps(props, inDatabase, bound);
    const database = inDatabase ? new PipelineDatabase(this, 'Database', {
      vpc: this.network.databaseVpc,
      vpcSubnets: this.network.databaseSubnets,
      instance: props.databaseInstance,
      secret: props.databaseSecret,
      databaseName: props.databaseName,
      instanceType: props.databaseInstanceType,
      engineVersion: props.databaseEngineVersion,
      multiAz: props.multiAz,
      allocatedStorage: props.allocatedStorage,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.databaseRemovalPolicy,
      secretEncryptionKey: props.databaseInstance ? undefined : this.encryptionKey,
      monitoringInterval: props.databaseMonitoringInterval,
      backupPlan: props.databaseBackupPlan,
      backupPlanRetention: props.databaseBackupPlanRetention,
      // The rotation function runs beside the processor, which can reach
      // both Secrets Manager and the database.
      rotationVpc: props.databaseInstance ? undefined : this.network.processingVpc,
      rotationSubnets: props.databaseInstance ? undefined : this.network.processingSubnets,
    }) : undefined;
    this.database = database;
    if (database) this.databaseVpc = this.network.databaseVpc;

    const sinkConfigs = bound.map((b) => JSON.parse(b.json));
    // The sink configuration is not environment: it may exceed what a
    // processor's environment holds (Lambda: 4 KB), so each processor delivers it.
    const processorContext = {
      vpc: this.network.processingVpc,
      vpcSubnets: this.network.processingSubnets,
      inputBucket: this.inputBucket,
      outputBucket: this.outputBucket,
      backupBucket: this.backupBucket,
      databaseSecret: database?.secret,
      topic: this.topic,
      topicKey: this.monitoring.encryptionKey,
      logEncryptionKey: this.encryptionKey,
      environment: runtimeEnvironment({
        database,
        ledgerEnvironment: ledgerConfig.environment,
        outputBucket: this.outputBucket,
        backupBucket: this.backupBucket,
        topic: this.topic,
        metricsNamespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
        pipelineName: this.pipelineName,
      }),
      sinksJson: JSON.stringify(sinkConfigs),
    };
    this.processor = processor.bind(this, processorContext);
    database?.allowFrom('FromProcessor', this.processor.securityGroup, 'pipeline processor');
    ledger.grantProcessor(this.processor);
    sinks.forEach((s) => s.grantProcessor(this, { grantPrincipal: this.processor, connections: this.processor.connections }));

    // Without a database, a bastion only when asked for (to reach brokers in the VPC, say).
    this.bastion = addPipelineBastion(this, { ...props, bastion: props.bastion ?? !!database }, this.network);
    if (this.bastion) database?.allowFrom('FromBastion', this.bastion.securityGroup, 'pipeline bastion');
    if (database) {
      if (props.migrateOnDeploy ?? true) {
        // The database construct holds its ingress and egress rules (allowFrom,
        // rotation), so waiting for it and the network covers every path.
        addMigrationOnDeploy(this, this.processor, [database, this.network]);
      }
    }

    const pipelineTriggers = props.triggers ?? [Trigger.onUpload()];
    const triggerContext = {
      inputBucket: this.inputBucket, outputBucket: this.outputBucket, backupBucket: this.backupBucket, processor: this.processor,
    };
    pipelineTriggers.forEach((t) => t.bind(this, triggerContext));

    this.alarms = (props.alarms ?? true)
      ? addPipelineAlarms(this.monitoring, {
        processor: this.processor,
        database,
        durationThreshold: props.durationAlarmThreshold ?? Duration.seconds(5),
        failedFilesThreshold: props.failedFilesAlarmThreshold ?? 0,
        noSuccessPeriod: props.noSuccessAlarmPeriod ?? Duration.hours(24),
        scheduled: pipelineTriggers.some((t) => t instanceof ScheduleTrigger),
        metricsNamespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
        pipelineName: this.pipelineName,
      })
      : [];
    if ((props.alarms ?? true) && sinkConfigs.some((c) => c.kind === 'kafka')) {
      this.alarms.push(...addKafkaAlarms(this.monitoring, {
        metricsNamespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE, pipelineName: this.pipelineName,
      }));
    }

    this.nagAcknowledgments = pipelineAcknowledgments(this, {
      databaseInstance: props.databaseInstance ? undefined : database?.instance,
      processorRole: this.processor.role,
      processorObjectArns: processorObjectArns(processorContext),
      processorFunction: this.processor instanceof BoundQueueLambdaProcessor ? this.processor.function : undefined,
      processorDeadLetterQueue: this.processor.deadLetterQueue,
      subscriptionDeadLetterQueue: this.monitoring.subscriptionDeadLetterQueue,
      buckets: {
        input: props.inputBucket ? undefined : this.inputBucket,
        output: props.outputBucket ? undefined : this.outputBucket,
        backup: props.backupBucket ? undefined : this.backupBucket,
      },
      notificationBuckets: [this.inputBucket, this.outputBucket, this.backupBucket],
      backupReplicated: props.backupReplicationBucket !== undefined,
      replicationRole: this.storage.backupReplicationRole,
      replicationObjectArns: props.backupReplicationBucket
        ? [this.backupBucket.arnForObjects('*'), props.backupReplicationBucket.arnForObjects('*')] : [],
      accessLogBucket: this.storage.accessLogBucket,
      natPublicSubnets: props.processingVpc ? [] : this.processingVpc.publicSubnets,
    });
    applyAcknowledgments(this, this.nagAcknowledgments);
    // The processor applies its own (some are added with its scheduled runs).
    if (this.processor instanceof BoundProcessorBase) this.nagAcknowledgments.push(...this.processor.nagAcknowledgments);
    if (this.bastion) this.nagAcknowledgments.push(...this.bastion.nagAcknowledgments);
    this.nagAcknowledgments.push(...kafkaNagAcknowledgments(this));

    rulesWaitForPeering(this, this.network);
  }
}
