import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as rds from 'aws-cdk-lib/aws-rds';
import { PipelineMonitoring } from './pipeline-monitoring';
import { PipelineDatabase } from '../database/pipeline-database';
import { IBoundProcessor } from '../processor/processor';
import { METRIC, METRIC_DIMENSION } from '../shared/env';

/** @internal */
export interface PipelineAlarmsOptions {
  readonly processor: IBoundProcessor;
  /** Undefined for a pipeline without a database. */
  readonly database?: PipelineDatabase;
  readonly durationThreshold: Duration;
  readonly failedFilesThreshold: number;
  readonly metricsNamespace: string;
  readonly pipelineName: string;
  /** The NoFileSucceeded alarm's window; zero turns it off. */
  readonly noSuccessPeriod: Duration;
  /** The pipeline has scheduled runs: the NoReportWritten alarm watches them over `noSuccessPeriod`. */
  readonly scheduled?: boolean;
}

/**
 * Checks `noSuccessAlarmPeriod`: zero (off) or whole hours from 1 to 168
 * (CloudWatch evaluates at most 7 days of hourly periods).
 *
 * @internal
 */
export function validateNoSuccessPeriod(period: Duration | undefined): void {
  if (period === undefined) return;
  const seconds = period.toSeconds();
  if (seconds !== 0 && (seconds % 3600 !== 0 || seconds < 3600 || seconds > 168 * 3600)) {
    throw new Error(`noSuccessAlarmPeriod must be whole hours between 1 and 168 (7 days), or Duration.hours(0) to turn the alarm off (got ${period.toHumanString()})`);
  }
}

/**
 * The pipeline's default alarms and dashboard widgets. Each alarm notifies
 * the topic on ALARM and on OK. Missing data (no files) is not breaching.
 *
 * @internal
 */
export function addPipelineAlarms(monitoring: PipelineMonitoring, o: PipelineAlarmsOptions): cloudwatch.Alarm[] {
  const alarms: cloudwatch.Alarm[] = [];
  const fileMetric = (name: string, label?: string) => new cloudwatch.Metric({
    namespace: o.metricsNamespace,
    metricName: name,
    dimensionsMap: { [METRIC_DIMENSION]: o.pipelineName },
    statistic: 'Sum',
    period: Duration.minutes(5),
    label,
  });
  /** Fires on one period above `threshold`; no data (no files) is not breaching. */
  const whenAbove = (threshold: number, alarmDescription: string): cloudwatch.CreateAlarmOptions => ({
    alarmDescription,
    threshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const errors = o.processor.metricErrors();
  alarms.push(monitoring.addAlarm('ProcessorErrors', errors, whenAbove(0,
    `${o.pipelineName}: the processor itself failed (crashed or timed out), a failure of the pipeline, not of a file's content; `
    + 'the file is retried and, after its last attempt, waits in the dead-letter queue')));

  const duration = o.processor.metricDuration();
  if (duration) {
    alarms.push(monitoring.addAlarm('ProcessorDuration', duration, whenAbove(o.durationThreshold.toMilliseconds(),
      `${o.pipelineName}: processing one file took longer than ${o.durationThreshold.toHumanString()}`)));
  }

  const dlq = o.processor.deadLetterQueue;
  if (dlq) {
    const visible = dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    // A queue-fed processor's dead letters are queue messages; a container
    // processor's are the EventBridge events it could not start a run for.
    const what = o.processor.queue
      ? 'files the pipeline could not process after every attempt (database, network or permission failures, not bad content) wait in the '
        + 'dead-letter queue; fix the cause, then move them back to the processor\'s queue'
      : 'upload events for which no task or job could be started after EventBridge\'s retries (capacity, permissions, image pull) wait in the '
        + 'dead-letter queue; fix the cause, then start a run for each object (run --bucket B --key K)';
    alarms.push(monitoring.addAlarm('DeadLetters', visible, whenAbove(0, `${o.pipelineName}: ${what}`)));
  }

  // A content error is a final outcome (the file is recorded as failed and
  // notified once), so it is counted here and not as a processor error.
  // No label: a labelled metric would make the alarm a metric-math alarm.
  const failedFiles = o.failedFilesThreshold === 0 ? 'a file' : `more than ${o.failedFilesThreshold} files`;
  alarms.push(monitoring.addAlarm('FilesFailed', fileMetric(METRIC.FILES_FAILED), whenAbove(o.failedFilesThreshold,
    `${o.pipelineName}: ${failedFiles} failed in 5 minutes: a CSV that does not fit its table (final: notified once with its reason, `
    + 'not retried) or an attempt that failed for a reason of the pipeline (retried)')));

  const hours = o.noSuccessPeriod.toHours();
  if (hours > 0) {
    // Hourly sums, every one of them zero or missing: missing data (no
    // file at all) is breaching, so a silent source or a dead trigger shows.
    alarms.push(monitoring.addAlarm('NoFileSucceeded', fileMetric(METRIC.FILES_SUCCEEDED).with({ period: Duration.hours(1) }), {
      alarmDescription: `${o.pipelineName}: no file succeeded in the last ${o.noSuccessPeriod.toHumanString()} `
        + '(no upload arrived, the trigger or processor is broken, or every file failed); set noSuccessAlarmPeriod to change the window',
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: hours,
      datapointsToAlarm: hours,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }));
  }

  if (hours > 0 && o.scheduled) {
    // A scheduled run writes reports/<date>.json even when it finds no file; none means the schedule or the processor is broken.
    alarms.push(monitoring.addAlarm('NoReportWritten', fileMetric(METRIC.REPORTS_WRITTEN).with({ period: Duration.hours(1) }), {
      alarmDescription: `${o.pipelineName}: no scheduled run wrote its report (reports/<date>.json) in the last ${o.noSuccessPeriod.toHumanString()} `
        + '(the schedule did not start the processor, or the runs failed before the end); set noSuccessAlarmPeriod to change the window',
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: hours,
      datapointsToAlarm: hours,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }));
  }

  // The processor's own: target and schedule dead-letter queues, failed tasks or jobs, container metrics.
  alarms.push(...o.processor.addMonitoring(monitoring));

  const queue = o.processor.queue;
  if (queue) {
    // SQS deletes messages after their retention (4 days for the Lambda
    // processor's queue), without a dead letter: warn while there is time.
    const age = queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' });
    alarms.push(monitoring.addAlarm('QueueAge', age, whenAbove(Duration.days(1).toSeconds(),
      `${o.pipelineName}: a file has waited more than a day in the processor's queue, which deletes it after 4 days; `
      + 'find what slows the processor, or raise maxConcurrency')));
  }

  const undelivered = monitoring.subscriptionDeadLetterQueue;
  if (undelivered) {
    // The topic's own e-mails are what failed, so this alarm is for the
    // dashboard and any other subscriber of the topic.
    const visible = undelivered.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' });
    alarms.push(monitoring.addAlarm('UndeliveredNotifications', visible, whenAbove(0,
      `${o.pipelineName}: SNS could not deliver notifications to an e-mail subscription; they wait in the subscriptions' dead-letter queue`)));
  }

  const instance = o.database?.instance;
  if (instance instanceof rds.DatabaseInstance) {
    alarms.push(monitoring.addAlarm('DatabaseCpu', instance.metricCPUUtilization({ period: Duration.minutes(5) }), {
      alarmDescription: `${o.pipelineName}: database CPU above 80% for 15 minutes`,
      threshold: 80,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    }));
    alarms.push(monitoring.addAlarm('DatabaseStorage', instance.metricFreeStorageSpace({ period: Duration.minutes(5) }), {
      alarmDescription: `${o.pipelineName}: less than 2 GiB of database storage left`,
      threshold: 2 * 1024 ** 3,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }));
    alarms.push(monitoring.addAlarm('DatabaseConnections', instance.metricDatabaseConnections({ period: Duration.minutes(5) }), {
      alarmDescription: `${o.pipelineName}: more than 80 database connections`,
      threshold: 80,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
    }));
  }

  monitoring.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Files',
      left: [fileMetric(METRIC.FILES_SUCCEEDED, 'succeeded'), fileMetric(METRIC.FILES_FAILED, 'failed')],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Rows',
      left: [fileMetric(METRIC.ROWS, 'loaded'), fileMetric(METRIC.ROWS_REJECTED, 'rejected')],
      width: 8,
    }),
    new cloudwatch.GraphWidget({ title: 'Processor errors and duration', left: [errors], right: duration ? [duration] : [], width: 8 }),
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 }),
  );
  return alarms;
}
