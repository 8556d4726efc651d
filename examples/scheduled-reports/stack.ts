import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { CdkPipeline, Ledger, Measure, Processor, Sink, Trigger } from 'cdk-data-pipeline';
import { addFargateOutputs, ExampleStackProps, notificationEmails } from '../shared';

/** Props of the example stack. */
export type ScheduledReportsStackProps = ExampleStackProps;

/**
 * Raw files in, daily reports out, no database: every night at 02:00 UTC an
 * EventBridge Scheduler schedule starts one ECS Fargate task (Fargate Spot)
 * that reads every CSV under the previous day's `raw-data/YYYY-MM-DD/`,
 * aggregates them (orders and revenue per region and currency) and writes
 * `reports/YYYY-MM-DD.json` to the output bucket. Each file is claimed
 * exactly once in a DynamoDB ledger, so a retry or a second run of the same
 * night counts nothing twice.
 */
export class ScheduledReportsStack extends Stack {
  public readonly pipeline: CdkPipeline;

  constructor(scope: Construct, id: string, props: ScheduledReportsStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new CdkPipeline(this, 'Pipeline', {
      ledger: Ledger.dynamoDb(),
      processor: Processor.fargate({ cpu: 512, memoryLimitMiB: 1024, spot: true }),
      triggers: [
        Trigger.schedule({
          schedule: ScheduleExpression.cron({ hour: '2', minute: '0', timeZone: TimeZone.ETC_UTC }),
          prefix: 'raw-data/{date}/',
          daysBefore: 1,
          description: "Yesterday's raw files into reports/<date>.json",
        }),
      ],
      sinks: [Sink.report({
        groupBy: ['region', 'currency'],
        measures: [
          Measure.count({ name: 'orders' }),
          Measure.sum('amount', { name: 'revenue' }),
          Measure.max('amount', { name: 'largest_order' }),
          Measure.distinctCount('customer', { name: 'customers' }),
        ],
      })],
      // Raw files are copied to the backup bucket; keep those copies for 90 days.
      backupRetention: Duration.days(90),
      notificationEmails: notificationEmails(props),
    });

    addFargateOutputs(this, this.pipeline);
  }
}
