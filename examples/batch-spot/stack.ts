import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BadRowPolicy, CdkPipeline, ColumnType, Trigger } from 'cdk-data-pipeline';
import { addBatchOutputs, ExampleStackProps, notificationEmails, ordersSink, spotBatchProcessor } from '../shared';

/** Props of the example stack. */
export type BatchSpotStackProps = ExampleStackProps;

/**
 * The original design's option 2 (AWS Batch on EC2 Spot): one Batch job per
 * uploaded file on EC2 Spot instances that Batch starts and stops
 * (allocation SPOT_PRICE_CAPACITY_OPTIMIZED), retried on a Spot reclaim.
 * Rows go to a typed PostgreSQL table (examples/batch-kafka streams them to
 * Kafka).
 */
export class BatchSpotStack extends Stack {
  public readonly pipeline: CdkPipeline;

  constructor(scope: Construct, id: string, props: BatchSpotStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      processor: spotBatchProcessor(),
      triggers: [Trigger.onUpload({ prefix: 'incoming/' })],
      sinks: [ordersSink(BadRowPolicy.FAIL_FILE, [{ name: 'currency', dataType: ColumnType.varchar(3), nullable: false }])],
      notificationEmails: notificationEmails(props),
    });

    // What the README's manual-run and reprocess commands need.
    addBatchOutputs(this, this.pipeline);
  }
}
