import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { PipelineMonitoring } from './pipeline-monitoring';
import { METRIC, METRIC_DIMENSION } from '../shared/env';

/** @internal */
export interface KafkaAlarmsOptions {
  readonly metricsNamespace: string;
  readonly pipelineName: string;
  /**
   * The KafkaSendErrors alarm fires when more sends than this fail (after
   * every retry) within 5 minutes.
   *
   * @default 0
   */
  readonly sendErrorsThreshold?: number;
  /**
   * The KafkaSendLatency alarm fires when the p99 time per acknowledged
   * batch stays above this for 15 minutes.
   *
   * @default Duration.seconds(5)
   */
  readonly sendLatencyThreshold?: Duration;
  /**
   * The KafkaProducerRetries alarm fires when more sends than this are
   * retried within 5 minutes, twice in a row (brokers failing over,
   * throttled or unreachable).
   *
   * @default 100
   */
  readonly producerRetriesThreshold?: number;
}

/**
 * The Kafka sinks' alarms (send errors, p99 send latency, producer retries)
 * and dashboard row (rows sent, latency, errors and retries), on the
 * metrics the runtime's Kafka sink emits for the pipeline. Each alarm
 * notifies the topic on ALARM and on OK; no data (no file) is not breaching.
 * Call once per pipeline that has a Kafka sink.
 *
 * @internal
 */
export function addKafkaAlarms(monitoring: PipelineMonitoring, o: KafkaAlarmsOptions): cloudwatch.Alarm[] {
  const metric = (name: string, statistic: string, label?: string) => new cloudwatch.Metric({
    namespace: o.metricsNamespace,
    metricName: name,
    dimensionsMap: { [METRIC_DIMENSION]: o.pipelineName },
    statistic,
    period: Duration.minutes(5),
    label,
  });
  const sendErrorsThreshold = o.sendErrorsThreshold ?? 0;
  const latency = o.sendLatencyThreshold ?? Duration.seconds(5);
  const retriesThreshold = o.producerRetriesThreshold ?? 100;
  for (const [name, value] of [['sendErrorsThreshold', sendErrorsThreshold], ['producerRetriesThreshold', retriesThreshold]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`Kafka alarms: ${name} must be a whole number >= 0, got ${value}`);
  }
  if (latency.toMilliseconds() <= 0) throw new Error(`Kafka alarms: sendLatencyThreshold must be more than 0, got ${latency.toHumanString()}`);

  const notBreaching = {
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  };
  // No labels on alarm metrics: a labelled metric would make a metric-math alarm.
  const alarms = [
    monitoring.addAlarm('KafkaSendErrors', metric(METRIC.KAFKA_SEND_ERRORS, 'Sum'), {
      ...notBreaching,
      alarmDescription: `${o.pipelineName}: ${sendErrorsThreshold === 0 ? 'a send' : `more than ${sendErrorsThreshold} sends`} to Kafka failed after every retry `
        + 'in 5 minutes; the file was checkpointed and marked failed (or retried), so no row is lost, but rows stopped flowing',
      threshold: sendErrorsThreshold,
      evaluationPeriods: 1,
    }),
    monitoring.addAlarm('KafkaSendLatency', metric(METRIC.KAFKA_SEND_LATENCY_MS, 'p99'), {
      ...notBreaching,
      alarmDescription: `${o.pipelineName}: the p99 time for Kafka to acknowledge a batch of rows stayed above ${latency.toHumanString()} for 15 minutes `
        + '(broker load, throttling or network)',
      threshold: latency.toMilliseconds(),
      evaluationPeriods: 3,
    }),
    monitoring.addAlarm('KafkaProducerRetries', metric(METRIC.KAFKA_PRODUCER_RETRIES, 'Sum'), {
      ...notBreaching,
      alarmDescription: `${o.pipelineName}: more than ${retriesThreshold} Kafka sends were retried in each of two 5-minute periods `
        + '(brokers failing over, throttled or hard to reach); rows still arrive once, in order, but slower',
      threshold: retriesThreshold,
      evaluationPeriods: 2,
    }),
  ];
  monitoring.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Kafka rows sent', left: [metric(METRIC.KAFKA_ROWS_SENT, 'Sum', 'rows sent')], width: 8 }),
    new cloudwatch.GraphWidget({
      title: 'Kafka send latency (ms)',
      left: [metric(METRIC.KAFKA_SEND_LATENCY_MS, 'p50', 'p50'), metric(METRIC.KAFKA_SEND_LATENCY_MS, 'p99', 'p99')],
      leftAnnotations: [{ value: latency.toMilliseconds(), label: 'alarm' }],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Kafka send errors and retries',
      left: [metric(METRIC.KAFKA_SEND_ERRORS, 'Sum', 'errors')],
      right: [metric(METRIC.KAFKA_PRODUCER_RETRIES, 'Sum', 'retries')],
      width: 8,
    }),
    new cloudwatch.AlarmStatusWidget({ title: 'Kafka alarms', alarms, width: 24 }),
  );
  return alarms;
}
