import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BadRowPolicy, CdkPipeline, ColumnType, Processor, Sink, Trigger } from '../../src';

export interface LambdaTableStackProps extends StackProps {
  /** Where success, failure and alarm e-mails go (none when omitted). */
  readonly email?: string;
}

/**
 * Seeds 000/001: S3 -> processor -> rows in a typed PostgreSQL table, in one
 * VPC with public, private and isolated subnets. Rows are loaded with COPY in
 * the same transaction as the file's metadata; bad rows are reported, not
 * loaded.
 */
export class LambdaTableStack extends Stack {
  public readonly pipeline: CdkPipeline;

  constructor(scope: Construct, id: string, props: LambdaTableStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      singleVpc: true,
      processor: Processor.lambda({ memorySize: 2048, timeout: Duration.minutes(15) }),
      triggers: [Trigger.onUpload({ prefix: 'orders/' })],
      sinks: [Sink.postgresTable({
        table: 'orders',
        columns: [
          { name: 'order_id', type: ColumnType.BIGINT, nullable: false },
          { name: 'customer', type: ColumnType.TEXT, nullable: false },
          { name: 'placed_at', type: ColumnType.TIMESTAMPTZ, nullable: false },
          { name: 'amount', type: ColumnType.numeric(12, 2), nullable: false },
          { name: 'paid', type: ColumnType.BOOLEAN },
          { name: 'note', type: ColumnType.TEXT },
        ],
        badRows: BadRowPolicy.SKIP_AND_REPORT,
      })],
      notificationEmails: props.email ? [props.email] : undefined,
    });
  }
}
