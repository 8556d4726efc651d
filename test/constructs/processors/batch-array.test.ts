/**
 * `Processor.batch({ arraySize })`: each upload submits an array job of that
 * size, whose children take their part from PIPELINE_PARTS (on the job
 * definition) and AWS_BATCH_JOB_ARRAY_INDEX (set by Batch); scheduled runs
 * stay plain jobs; sinks that cannot take a file in parts are refused at synth.
 */
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { buildPipeline } from './helpers';
import { BadRowPolicy, ColumnType, Measure, Processor, Sink } from '../../../src';
import { ARRAY_INDEX_ENV, MAX_PARTS, PARTS_ENV } from '../../../src/runtime/load/parts/part-spec';

const columns = [{ name: 'id', dataType: ColumnType.BIGINT, nullable: false }, { name: 'note', dataType: ColumnType.TEXT }];
const table = (o: Partial<Parameters<typeof Sink.postgresTable>[0]> = {}) => Sink.postgresTable({ table: 'orders', columns, parallelism: 4, ...o });

describe('Processor.batch({ arraySize: 8 })', () => {
  const { template } = buildPipeline({ bastion: false, processor: Processor.batch({ arraySize: 8 }), sinks: [table()] },
    (pipeline) => pipeline.processor.addScheduledRun(pipeline, 'Nightly', {
      schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }), bucket: pipeline.inputBucket, prefix: 'raw/{date}/', suffix: '.csv',
    }));

  test('an upload submits an array job of 8 children', () => {
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.EventPattern.source[0] === 'aws.s3') as any;
    expect(rule.Properties.Targets[0].BatchParameters).toEqual({
      JobDefinition: { Ref: expect.stringMatching(/^PipelineBatchProcessorJobDefinition/) }, JobName: 'upload', ArrayProperties: { Size: 8 },
    });
  });

  test('the job definition tells each child how many parts there are (the runtime\'s variable)', () => {
    const [jobDefinition] = Object.values(template.findResources('AWS::Batch::JobDefinition')) as any[];
    const environment = jobDefinition.Properties.ContainerProperties.Environment as { Name: string; Value: string }[];
    expect(environment).toContainEqual({ Name: PARTS_ENV, Value: '8' });
    expect(PARTS_ENV).toBe('PIPELINE_PARTS');
    expect(ARRAY_INDEX_ENV).toBe('AWS_BATCH_JOB_ARRAY_INDEX');
  });

  test('a scheduled run stays one job (no array properties): it loads each file whole', () => {
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule')) as any[];
    const input = JSON.stringify(schedule.Properties.Target.Input);
    expect(input).toContain('scheduled-run');
    expect(input).not.toContain('arrayProperties');
  });
});

test('without arraySize: one job per upload, no PIPELINE_PARTS', () => {
  const { template } = buildPipeline({ bastion: false, processor: Processor.batch(), sinks: [table()] });
  const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.EventPattern.source[0] === 'aws.s3') as any;
  expect(rule.Properties.Targets[0].BatchParameters.ArrayProperties).toBeUndefined();
  const [jobDefinition] = Object.values(template.findResources('AWS::Batch::JobDefinition')) as any[];
  expect(jobDefinition.Properties.ContainerProperties.Environment.map((e: { Name: string }) => e.Name)).not.toContain(PARTS_ENV);
});

test('arraySize with a SKIP_AND_REPORT table: the parts report their rejects in one file', () => {
  const sinks = [table({ badRows: BadRowPolicy.SKIP_AND_REPORT })];
  const { template } = buildPipeline({ bastion: false, processor: Processor.batch({ arraySize: 3 }), sinks });
  const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.EventPattern.source[0] === 'aws.s3') as any;
  expect(rule.Properties.Targets[0].BatchParameters.ArrayProperties).toEqual({ Size: 3 });
});

test.each([1, 0, 2.5, MAX_PARTS + 1, -3])('arraySize %p is refused, naming the option and AWS Batch\'s range', (arraySize) => {
  expect(() => Processor.batch({ arraySize })).toThrow(`Processor.batch(): arraySize must be a whole number from 2 to 10000, AWS Batch's array sizes (got ${arraySize})`);
});

test.each([
  ['no sink', [], /needs exactly one Sink\.postgresTable and no other sink \(got 0 table sink\(s\)\)/],
  ['a report sink', [Sink.report({ groupBy: ['note'], measures: [Measure.count()] })], /got 0 table sink\(s\) and report/],
  ['a table and a report sink', [table(), Sink.report({ groupBy: ['note'], measures: [Measure.count()] })], /got 1 table sink\(s\) and report/],
  ['parallelism 1', [table({ parallelism: undefined })], /give Sink\.postgresTable\(\{ table: 'orders' \}\) parallelism 2 or more .*got 1/],
])('arraySize with %s is refused at synth', (_name, sinks, message) => {
  expect(() => buildPipeline({ bastion: false, processor: Processor.batch({ arraySize: 4 }), sinks: sinks as never })).toThrow(message);
});
