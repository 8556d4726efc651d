/**
 * examples/scheduled-reports: no upload trigger; a nightly schedule starts
 * a Fargate Spot task that aggregates yesterday's `raw-data/<date>/` into
 * `reports/<date>.json`, with the file ledger in DynamoDB. After a deploy:
 * the CSV is uploaded under a fixed date, the task is started now with the
 * README's command for that date, and the file's result document (its
 * report-sink summary) and the date's report (counts and aggregates per
 * region and currency) are checked.
 */
import { Match } from '@aws-cdk/integ-tests-alpha';
import { Duration } from 'aws-cdk-lib';
import { integApp, ORDERS_CSV, ORDERS_ROWS, PipelineInteg, synthIntegApp } from './pipeline-integ';
import { ScheduledReportsStack } from '../../examples/scheduled-reports/stack';

const app = integApp();
const stack = new ScheduledReportsStack(app, 'ScheduledReportsPipelineInteg');
const test = new PipelineInteg(app, 'ScheduledReports', stack);

const date = '2026-01-15';
const key = `raw-data/${date}/integ-orders.csv`;
const wait = { totalTimeout: Duration.minutes(15) };
test.upload(key, ORDERS_CSV);
test.runFargateTask(['run', '--bucket', stack.pipeline.inputBucket.bucketName, '--prefix', 'raw-data/{date}/', '--date', date]);
test.awaitResult(key, { status: 'succeeded', rows: ORDERS_ROWS, sinks: [Match.objectLike({ rows: ORDERS_ROWS })] }, wait);
// ORDERS_CSV: three EUR orders in region eu, 12.50 + 7.25 + 0.30, by ACME twice and Globex.
test.awaitReport(date, {
  complete: true,
  counts: { files: 1, succeeded: 1, failed: 0, rows: ORDERS_ROWS },
  aggregates: [{
    files: 1,
    rows: ORDERS_ROWS,
    groups: [{
      group: { region: 'eu', currency: 'EUR' },
      measures: { orders: 3, revenue: '20.05', largest_order: '12.50', customers: 2 },
    }],
  }],
}, wait);

synthIntegApp(app);
