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
  readonly database: PipelineDatabase;
  readonly durationThreshold: Duration;
  readonly metricsNamespace: string;
  readonly pipelineName: string;
}

/**
 * The pipeline's default alarms and dashboard widgets. Each alarm notifies
 * the topic on ALARM and on OK. Missing data (no files) is not breaching.
 *
 * @internal
 */
export function addPipelineAlarms(monitoring: PipelineMonitoring, o: PipelineAlarmsOptions): cloudwatch.Alarm[] {
  const alarms: cloudwatch.Alarm[] = [];
  const errors = o.processor.metricErrors();
  alarms.push(monitoring.addAlarm('ProcessorErrors', errors, {
    alarmDescription: `${o.pipelineName}: the processor failed on at least one file`,
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  }));

  const duration = o.processor.metricDuration();
  if (duration) {
    alarms.push(monitoring.addAlarm('ProcessorDuration', duration, {
      alarmDescription: `${o.pipelineName}: processing one file took longer than ${o.durationThreshold.toHumanString()}`,
      threshold: o.durationThreshold.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
  }

  const dlq = o.processor.deadLetterQueue;
  if (dlq) {
    alarms.push(monitoring.addAlarm('DeadLetters', dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }), {
      alarmDescription: `${o.pipelineName}: files gave up after all retries are waiting in the dead-letter queue`,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
  }

  const instance = o.database.instance;
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

  const fileMetric = (name: string, label: string) => new cloudwatch.Metric({
    namespace: o.metricsNamespace,
    metricName: name,
    dimensionsMap: { [METRIC_DIMENSION]: o.pipelineName },
    statistic: 'Sum',
    period: Duration.minutes(5),
    label,
  });
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
