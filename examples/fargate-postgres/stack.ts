import { Stack, TimeZone } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { BadRowPolicy, CdkPipeline, ColumnType, Processor, Trigger } from 'cdk-data-pipeline';
import { addFargateOutputs, ExampleStackProps, notificationEmails, ordersSink } from '../shared';

/** Props of the example stack. */
export type FargatePostgresStackProps = ExampleStackProps;

/**
 * S3 -> an ECS Fargate task (Fargate Spot) per file -> rows in a typed
 * PostgreSQL table. Uploads under `raw-data/` start a task through
 * EventBridge; a nightly EventBridge Scheduler run at 02:00 London time
 * processes everything under that day's `raw-data/YYYY-MM-DD/` and writes
 * `reports/YYYY-MM-DD.json`.
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
      sinks: [ordersSink(BadRowPolicy.SKIP_AND_REPORT, [
        { name: 'currency', dataType: ColumnType.varchar(3), nullable: false },
        { name: 'paid', dataType: ColumnType.BOOLEAN },
      ])],
      notificationEmails: notificationEmails(props),
    });

    // What the README's manual-run and reprocess commands need.
    addFargateOutputs(this, this.pipeline);
  }
}
