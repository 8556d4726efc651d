import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BadRowPolicy, BatchComputeType, BoundBatchProcessor, CdkPipeline, ColumnType, Processor, Trigger } from '../../src';
import { addExampleOutputs, ExampleStackProps, notificationEmails, ordersSink } from '../shared';

/** Props of the example stack. */
export type BatchSpotStackProps = ExampleStackProps;

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
      sinks: [ordersSink(BadRowPolicy.FAIL_FILE, [{ name: 'currency', type: ColumnType.varchar(3), nullable: false }])],
      notificationEmails: notificationEmails(props),
    });

    // What the README's manual-run and reprocess commands need.
    const processor = this.pipeline.processor as BoundBatchProcessor;
    addExampleOutputs(this, this.pipeline, processor.logGroup.logGroupName, {
      JobQueue: processor.jobQueue.jobQueueArn,
      JobDefinition: processor.jobDefinition.jobDefinitionArn,
    });
  }
}
