import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { buildPipeline } from './helpers';
import { CdkPipeline, ColumnType, Processor, Sink } from '../../../src';

const containerFunction = (template: any) => Object.values(template.findResources('AWS::Lambda::Function'))
  .find((f: any) => /\(container image\)/.test(f.Properties.Description)) as any;

describe('Processor.lambdaContainer()', () => {
  const built = buildPipeline({ bastion: false, processor: Processor.lambdaContainer({ maxConcurrency: 3, retryAttempts: 4 }) },
    (pipeline) => pipeline.processor.addScheduledRun(pipeline, 'Nightly', {
      schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }), bucket: pipeline.inputBucket, prefix: 'in/{date}/', suffix: '.csv',
    }));
  const { template } = built;

  test('an image function (the package image, x86) whose entry point is the image\'s Lambda runtime client', () => {
    const fn = containerFunction(template);
    expect(fn.Properties.PackageType).toBe('Image');
    expect(fn.Properties.Architectures).toEqual(['x86_64']);
    expect(fn.Properties.ImageConfig).toEqual({ EntryPoint: ['node', '--enable-source-maps', '/app/lambda/index.js'], Command: [] });
    expect(fn.Properties.Layers).toBeUndefined();
    expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.Properties.Environment.Variables.PIPELINE_SINKS).toBe('[]');
    expect(fn.Properties.Environment.Variables.PIPELINE_SINKS_FILE).toBeUndefined();
  });

  test('the zip Lambda\'s queue wiring: batch size 1, maxConcurrency, partial failures, retryAttempts + 1 receives', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1, ScalingConfig: { MaximumConcurrency: 3 }, FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
    // The function is its own deploy-time migration.
    expect(built.pipeline.processor.migrationFunction).toBe((built.pipeline.processor as any).function);
  });

  test('a scheduled run invokes it with the scheduledRun payload', () => {
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as any;
    const input = JSON.stringify(built.stack.resolve(schedule.Properties.Target.Input));
    expect(input).toContain('\\"scheduledRun\\":{\\"bucket\\"');
    expect(input).toContain('\\"prefix\\":\\"in/{date}/\\",\\"suffix\\":\\".csv\\",\\"scheduledTime\\":\\"<aws.scheduler.scheduled-time>\\",\\"timeZone\\":\\"Etc/UTC\\"');
  });

  test('your own image code and architecture', () => {
    const app = new App();
    const stack = new Stack(app, 'Own', { env: { account: '111111111111', region: 'eu-west-1' } });
    const code = lambda.DockerImageCode.fromEcr(ecr.Repository.fromRepositoryName(stack, 'Repo', 'mine'), { tagOrDigest: 'v1' });
    new CdkPipeline(stack, 'P', { bastion: false, processor: Processor.lambdaContainer({ code, architecture: lambda.Architecture.ARM_64 }) });
    const fn = containerFunction(Template.fromStack(stack));
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(JSON.stringify(fn.Properties.Code.ImageUri)).toContain('/mine:v1');
  });

  test('a sink configuration too large for Lambda\'s 4 KB environment fails the synth, naming the sink', () => {
    const columns = Array.from({ length: 120 }, (_, i) => ({ name: `measurement_column_${i}`, dataType: ColumnType.numeric(12, 2) }));
    expect(() => buildPipeline({ bastion: false, processor: Processor.lambdaContainer(), sinks: [Sink.postgresTable({ table: 'orders', columns })] }))
      .toThrow(/^Processor\.lambdaContainer\(\): the sink configuration \(PIPELINE_SINKS, \d+ bytes for postgresTable public\.orders\) does not fit/);
  });

  test('validation names the factory, the prop and the value', () => {
    expect(() => Processor.lambdaContainer({ maxConcurrency: 1 })).toThrow('Processor.lambdaContainer(): maxConcurrency must be a whole number between 2 and 1000 (got 1)');
  });
});
