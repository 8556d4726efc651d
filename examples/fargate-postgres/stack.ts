import { CfnOutput, Stack, StackProps, TimeZone } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { BadRowPolicy, BoundFargateProcessor, CdkPipeline, ColumnType, Processor, Sink, Trigger } from '../../src';

export interface FargatePostgresStackProps extends StackProps {
  /** Where success, failure and alarm e-mails go (none when omitted). */
  readonly email?: string;
}

/**
 * Seeds 000 + 003: S3 -> an ECS Fargate task (Fargate Spot) per file ->
 * rows in a typed PostgreSQL table. Uploads under `raw-data/` start a task
 * through EventBridge; a nightly EventBridge Scheduler run at 02:00 London
 * time processes everything under that day's `raw-data/YYYY-MM-DD/` and
 * writes `reports/YYYY-MM-DD.json`.
 */
export class FargatePostgresStack extends Stack {
  public readonly pipeline: CdkPipeline;

  constructor(scope: Construct, id: string, props: FargatePostgresStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      processor: Processor.fargate({ cpu: 1024, memoryLimitMiB: 2048, spot: true }),
      triggers: [
        Trigger.onUpload({ prefix: 'raw-data/' }),
        Trigger.schedule({
          schedule: ScheduleExpression.cron({ hour: '2', minute: '0', timeZone: TimeZone.EUROPE_LONDON }),
          prefix: 'raw-data/{date}/',
        }),
      ],
      sinks: [Sink.postgresTable({
        table: 'orders',
        columns: [
          { name: 'order_id', type: ColumnType.BIGINT, nullable: false },
          { name: 'customer', type: ColumnType.TEXT, nullable: false },
          { name: 'placed_at', type: ColumnType.TIMESTAMPTZ, nullable: false },
          { name: 'amount', type: ColumnType.numeric(12, 2), nullable: false },
          { name: 'currency', type: ColumnType.varchar(3), nullable: false },
          { name: 'paid', type: ColumnType.BOOLEAN },
        ],
        badRows: BadRowPolicy.SKIP_AND_REPORT,
      })],
      notificationEmails: props.email ? [props.email] : undefined,
    });

    // What the README's manual-run and reprocess commands need.
    const processor = this.pipeline.processor as BoundFargateProcessor;
    const outputs: Record<string, string> = {
      InputBucket: this.pipeline.inputBucket.bucketName,
      OutputBucket: this.pipeline.outputBucket.bucketName,
      Cluster: processor.cluster.clusterName,
      TaskDefinition: processor.taskDefinition.taskDefinitionArn,
      Subnets: this.pipeline.processingVpc.selectSubnets(this.pipeline.network.processingSubnets).subnetIds.join(','),
      SecurityGroup: processor.securityGroup.securityGroupId,
      LogGroup: processor.logGroup.logGroupName,
      BastionId: this.pipeline.bastion!.instance.instanceId,
      DatabaseHost: this.pipeline.database.instance.dbInstanceEndpointAddress,
      DatabaseSecret: this.pipeline.database.secret.secretArn,
    };
    Object.entries(outputs).forEach(([name, value]) => new CfnOutput(this, name, { value }));
  }
}
