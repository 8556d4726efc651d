import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BadRowPolicy, BatchComputeType, BoundBatchProcessor, CdkPipeline, ColumnType, Processor, Sink, Trigger } from '../../src';

export interface BatchSpotStackProps extends StackProps {
  /** Where success, failure and alarm e-mails go (none when omitted). */
  readonly email?: string;
}

/**
 * Seed 004, option 2 (AWS Batch on EC2 Spot): one Batch job per uploaded
 * file on EC2 Spot instances that Batch starts and stops (allocation
 * SPOT_PRICE_CAPACITY_OPTIMIZED), retried on a Spot reclaim. Rows go to a
 * typed PostgreSQL table until the Kafka sink exists.
 */
export class BatchSpotStack extends Stack {
  public readonly pipeline: CdkPipeline;

  constructor(scope: Construct, id: string, props: BatchSpotStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      processor: Processor.batch({
        spot: true,
        computeType: BatchComputeType.EC2,
        // Seed 004's size (a t3.medium: 2 vCPUs, 4 GiB), less what the OS and
        // the ECS agent keep, so a job fits a 4 GiB instance; Batch picks them.
        vcpus: 2,
        memoryLimitMiB: 3584,
        maxvCpus: 16,
        retryAttempts: 3,
      }),
      triggers: [Trigger.onUpload({ prefix: 'incoming/' })],
      sinks: [Sink.postgresTable({
        table: 'orders',
        columns: [
          { name: 'order_id', type: ColumnType.BIGINT, nullable: false },
          { name: 'customer', type: ColumnType.TEXT, nullable: false },
          { name: 'placed_at', type: ColumnType.TIMESTAMPTZ, nullable: false },
          { name: 'amount', type: ColumnType.numeric(12, 2), nullable: false },
          { name: 'currency', type: ColumnType.varchar(3), nullable: false },
        ],
        badRows: BadRowPolicy.FAIL_FILE,
      })],
      notificationEmails: props.email ? [props.email] : undefined,
    });

    // What the README's manual-run and reprocess commands need.
    const processor = this.pipeline.processor as BoundBatchProcessor;
    const outputs: Record<string, string> = {
      InputBucket: this.pipeline.inputBucket.bucketName,
      OutputBucket: this.pipeline.outputBucket.bucketName,
      JobQueue: processor.jobQueue.jobQueueArn,
      JobDefinition: processor.jobDefinition.jobDefinitionArn,
      LogGroup: processor.logGroup.logGroupName,
      BastionId: this.pipeline.bastion!.instance.instanceId,
      DatabaseHost: this.pipeline.database.instance.dbInstanceEndpointAddress,
      DatabaseSecret: this.pipeline.database.secret.secretArn,
    };
    Object.entries(outputs).forEach(([name, value]) => new CfnOutput(this, name, { value }));
  }
}
