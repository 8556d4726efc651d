import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CdkPipeline, KafkaCluster, Processor, Sink } from '../../src';
import { addKafkaAlarms, KafkaAlarmsOptions } from '../../src/monitoring/kafka-alarms';

function withAlarms(options: Partial<KafkaAlarmsOptions> = {}, props: { dashboard?: boolean } = {}) {
  const stack = new Stack(new App(), 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pipeline = new CdkPipeline(stack, 'Pipeline', {
    processor: Processor.batch({ spot: true }),
    sinks: [Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() })],
    pipelineName: 'orders-pipeline',
    metricsNamespace: 'Orders',
    // The function on its own here (CdkPipeline's own call is tested below).
    alarms: false,
    ...props,
  });
  const before = pipeline.monitoring.alarms.length;
  const alarms = addKafkaAlarms(pipeline.monitoring, { metricsNamespace: 'Orders', pipelineName: 'orders-pipeline', ...options });
  return { stack, pipeline, alarms, before, template: Template.fromStack(stack) };
}

const alarmsByMetric = (template: Template) => Object.fromEntries(Object.values(template.findResources('AWS::CloudWatch::Alarm'))
  .map((a: any) => a.Properties).filter((p) => String(p.MetricName).startsWith('Kafka')).map((p) => [p.MetricName, p]));

describe('addKafkaAlarms()', () => {
  const { stack, template, alarms, pipeline, before } = withAlarms();
  const byMetric = alarmsByMetric(template);

  test('three alarms on the runtime\'s Kafka metrics, for this pipeline, in its namespace, notifying the topic', () => {
    expect(alarms).toHaveLength(3);
    expect(pipeline.monitoring.alarms).toHaveLength(before + 3);
    expect(Object.keys(byMetric).sort()).toEqual(['KafkaProducerRetries', 'KafkaSendErrors', 'KafkaSendLatency']);
    const topic = stack.resolve(pipeline.topic.topicArn);
    for (const p of Object.values<any>(byMetric)) {
      expect(p.Namespace).toBe('Orders');
      expect(p.Dimensions).toEqual([{ Name: 'Pipeline', Value: 'orders-pipeline' }]);
      expect(p.AlarmActions).toEqual([topic]);
      expect(p.OKActions).toEqual([topic]);
      expect(p.TreatMissingData).toBe('notBreaching');
      expect(p.ComparisonOperator).toBe('GreaterThanThreshold');
    }
  });

  test('defaults: any failed send; p99 latency over 5 s for 15 minutes; over 100 retries twice in a row', () => {
    const errors = byMetric.KafkaSendErrors;
    expect([errors.Statistic, errors.Threshold, errors.EvaluationPeriods, errors.Period]).toEqual(['Sum', 0, 1, 300]);
    expect([byMetric.KafkaSendLatency.ExtendedStatistic, byMetric.KafkaSendLatency.Threshold, byMetric.KafkaSendLatency.EvaluationPeriods])
      .toEqual(['p99', 5000, 3]);
    expect([byMetric.KafkaProducerRetries.Statistic, byMetric.KafkaProducerRetries.Threshold, byMetric.KafkaProducerRetries.EvaluationPeriods])
      .toEqual(['Sum', 100, 2]);
  });

  test('thresholds as given', () => {
    const options = { sendErrorsThreshold: 3, sendLatencyThreshold: Duration.seconds(2), producerRetriesThreshold: 10 };
    const t = alarmsByMetric(withAlarms(options).template);
    expect([t.KafkaSendErrors.Threshold, t.KafkaSendLatency.Threshold, t.KafkaProducerRetries.Threshold]).toEqual([3, 2000, 10]);
    expect(t.KafkaSendErrors.AlarmDescription).toMatch(/^orders-pipeline: more than 3 sends to Kafka failed after every retry in 5 minutes/);
  });

  test('the dashboard shows rows sent, latency (p50, p99), errors and retries, and the alarms', () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as any;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    const texts = ['Kafka rows sent', 'KafkaRowsSent', 'Kafka send latency (ms)', '\\"stat\\":\\"p99\\"', '\\"stat\\":\\"p50\\"',
      'KafkaSendErrors', 'KafkaProducerRetries', 'Kafka alarms'];
    for (const text of texts) {
      expect({ text, found: body.includes(text) }).toEqual({ text, found: true });
    }
  });

  test('no dashboard: alarms only', () => {
    const t = withAlarms({}, { dashboard: false }).template;
    expect(Object.keys(t.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(0);
    expect(Object.keys(alarmsByMetric(t))).toHaveLength(3);
  });

  test.each<[string, Partial<KafkaAlarmsOptions>, RegExp]>([
    ['a negative error threshold', { sendErrorsThreshold: -1 }, /Kafka alarms: sendErrorsThreshold must be a whole number >= 0, got -1/],
    ['a fractional retry threshold', { producerRetriesThreshold: 1.5 }, /Kafka alarms: producerRetriesThreshold must be a whole number >= 0, got 1\.5/],
    ['a zero latency threshold', { sendLatencyThreshold: Duration.seconds(0) }, /Kafka alarms: sendLatencyThreshold must be more than 0/],
  ])('rejects %s', (_name, options, message) => {
    expect(() => withAlarms(options)).toThrow(message);
  });
});

test('CdkPipeline adds them when one of its sinks is a Kafka sink, and not otherwise', () => {
  const build = (sinks: Sink[]) => {
    const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    return new CdkPipeline(stack, 'P', { processor: Processor.batch({ spot: true }), sinks });
  };
  const names = (p: CdkPipeline) => p.alarms.map((a) => (a.node.defaultChild as any).metricName).filter((m: string) => m?.startsWith('Kafka')).sort();
  expect(names(build([Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() })]))).toEqual(['KafkaProducerRetries', 'KafkaSendErrors', 'KafkaSendLatency']);
  expect(names(build([]))).toEqual([]);
});
