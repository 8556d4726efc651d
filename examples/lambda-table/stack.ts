import { Duration, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BadRowPolicy, CdkPipeline, ColumnType, Processor, Trigger } from 'cdk-data-pipeline';
import { ExampleStackProps, notificationEmails, ordersSink } from '../shared';

/** Props of the example stack. */
export type LambdaTableStackProps = ExampleStackProps;

/**
 * S3 -> processor -> rows in a typed PostgreSQL table, in one VPC with
 * public, private and isolated subnets. Rows are loaded with COPY in the
 * same transaction as the file's metadata; bad rows are reported, not
 * loaded.
 */
export class LambdaTableStack extends Stack {
  public readonly pipeline: CdkPipeline;

  constructor(scope: Construct, id: string, props: LambdaTableStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      singleVpc: true,
      processor: Processor.lambdaZip({ memorySize: 2048, timeout: Duration.minutes(15) }),
      triggers: [Trigger.onUpload({ prefix: 'orders/' })],
      sinks: [ordersSink(BadRowPolicy.SKIP_AND_REPORT, [
        { name: 'paid', dataType: ColumnType.BOOLEAN },
        { name: 'note', dataType: ColumnType.TEXT },
      ])],
      notificationEmails: notificationEmails(props),
    });
  }
}
