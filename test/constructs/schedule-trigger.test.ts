/**
 * Trigger.schedule() synthesized with the pipeline (Template.fromStack): the
 * EventBridge Scheduler schedule, its payload or container command, the
 * time zone, the dead-letter queue, distinct ids, and the options refused.
 */
import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { synthPipeline } from './helpers';
import { CdkPipeline, CdkPipelineProps, Processor, Trigger } from '../../src';

const nightly = () => ScheduleExpression.cron({ hour: '2', minute: '0', timeZone: TimeZone.EUROPE_LONDON });

function schedules(template: Template): any[] {
  return Object.values(template.findResources('AWS::Scheduler::Schedule')).map((r: any) => r.Properties);
}

/** The schedule's input, parsed, with each token (a bucket's Ref) as `${Ref:<logical id>}`. */
function payloadOf(stack: Stack, schedule: any): any {
  const input = stack.resolve(schedule.Target.Input);
  if (typeof input === 'string') return JSON.parse(input);
  const [, parts] = input['Fn::Join'];
  return JSON.parse(parts.map((p: any) => (typeof p === 'string' ? p : `\${Ref:${p.Ref}}`)).join(''));
}

const build = (props: CdkPipelineProps) => synthPipeline({ bastion: false, ...props });

describe('on the zip Lambda', () => {
  test('a nightly schedule over raw-data/{date}/: expression, time zone, the scheduledRun payload, retry policy and DLQ', () => {
    const { stack, template } = build({
      triggers: [Trigger.onUpload(), Trigger.schedule({ schedule: nightly(), prefix: 'raw-data/{date}/' })],
    });
    const [schedule] = schedules(template);
    expect(schedules(template)).toHaveLength(1);
    expect(schedule.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(schedule.ScheduleExpressionTimezone).toBe('Europe/London');
    expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    expect(schedule.State).toBe('ENABLED');
    expect(payloadOf(stack, schedule)).toEqual({
      scheduledRun: {
        bucket: expect.stringMatching(/^\$\{Ref:PipelineStorageInputBucket[0-9A-F]{8}\}$/),
        prefix: 'raw-data/{date}/',
        suffix: '.csv',
        scheduledTime: '<aws.scheduler.scheduled-time>',
        timeZone: 'Europe/London',
      },
    });
    // The target is the processor function.
    const fnId = Object.entries(template.findResources('AWS::Lambda::Function'))
      .find(([, f]: [string, any]) => /^cdk-data-pipeline processor/.test(f.Properties.Description))![0];
    expect(schedule.Target.Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(schedule.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
    const dlq = schedule.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[dlq]).toMatchObject({ Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } });
    expect(schedule.Description).toBe('cdk-data-pipeline: process raw-data/{date}/*.csv');
  });

  test('timeZone and suffix options win; the description is passed on', () => {
    const { stack, template } = build({
      triggers: [Trigger.schedule({
        schedule: ScheduleExpression.rate(Duration.hours(6)), prefix: 'drops/{date}/', suffix: '.CSV', timeZone: TimeZone.ASIA_TOKYO, description: 'Tokyo drops',
      })],
    });
    const [schedule] = schedules(template);
    expect(schedule.ScheduleExpression).toBe('rate(6 hours)');
    expect(payloadOf(stack, schedule).scheduledRun).toMatchObject({ prefix: 'drops/{date}/', suffix: '.CSV', timeZone: 'Asia/Tokyo' });
    expect(schedule.Description).toBe('Tokyo drops');
  });

  test('without a time zone anywhere the run\'s date is the UTC one', () => {
    const { stack, template } = build({ triggers: [Trigger.schedule({ schedule: ScheduleExpression.cron({ hour: '1', minute: '0' }), prefix: 'in/{date}/' })] });
    expect(payloadOf(stack, schedules(template)[0]).scheduledRun.timeZone).toBe('Etc/UTC');
  });

  test('two schedules get distinct ids, each with its own DLQ and role', () => {
    const { stack, template } = build({
      triggers: [
        Trigger.schedule({ schedule: nightly(), prefix: 'raw-data/{date}/' }),
        Trigger.schedule({ schedule: ScheduleExpression.cron({ hour: '14', minute: '30' }), prefix: 'late/{date}/' }),
      ],
    });
    const found = template.findResources('AWS::Scheduler::Schedule');
    expect(Object.keys(found)).toHaveLength(2);
    expect(new Set(Object.keys(found)).size).toBe(2);
    const list = Object.values(found).map((r: any) => r.Properties);
    expect(list.map((s) => payloadOf(stack, s).scheduledRun.prefix)).toEqual(['raw-data/{date}/', 'late/{date}/']);
    expect(new Set(list.map((s) => JSON.stringify(s.Target.DeadLetterConfig.Arn))).size).toBe(2);
    expect(new Set(list.map((s) => JSON.stringify(s.Target.RoleArn))).size).toBe(2);
  });
});

describe('on Fargate', () => {
  test('the schedule starts the task with run --prefix and the scheduled time in the time zone', () => {
    const { stack, template } = build({
      processor: Processor.fargate({ cpu: 1024, memoryLimitMiB: 2048 }),
      triggers: [Trigger.schedule({ schedule: nightly(), prefix: 'raw-data/{date}/' })],
    });
    const [schedule] = schedules(template);
    expect(schedule.ScheduleExpressionTimezone).toBe('Europe/London');
    // A universal target: the schedule calls ecs:RunTask with the container's command override.
    expect(JSON.stringify(stack.resolve(schedule.Target.Arn))).toContain('aws-sdk:ecs:runTask');
    expect(schedule.Target.DeadLetterConfig.Arn).toBeDefined();
    const input = JSON.stringify(stack.resolve(schedule.Target.Input));
    for (const part of ['"run"', '"--prefix"', '"raw-data/{date}/"', '"--suffix"', '".csv"', '"--date"', '"<aws.scheduler.scheduled-time>"', '"--time-zone"', '"Europe/London"']) {
      expect(input).toContain(part.replace(/"/g, '\\"'));
    }
  });
});

describe('daysBefore: the previous day\'s folder on a nightly run', () => {
  test('containers get --days-before, the Lambdas daysBefore in the payload', () => {
    const fargate = build({ processor: Processor.fargate(), triggers: [Trigger.schedule({ schedule: nightly(), prefix: 'raw-data/{date}/', daysBefore: 1 })] });
    const input = JSON.stringify(fargate.stack.resolve(schedules(fargate.template)[0].Target.Input));
    expect(input).toContain('\\"--days-before\\",\\"1\\"');
    const lambda = build({ triggers: [Trigger.schedule({ schedule: nightly(), prefix: 'raw-data/{date}/', daysBefore: 1 })] });
    expect(payloadOf(lambda.stack, schedules(lambda.template)[0]).scheduledRun).toMatchObject({ daysBefore: 1 });
    const none = build({ triggers: [Trigger.schedule({ schedule: nightly(), prefix: 'raw-data/{date}/' })] });
    expect(payloadOf(none.stack, schedules(none.template)[0]).scheduledRun).not.toHaveProperty('daysBefore');
  });

  test.each([[-1], [1.5], [367]])('daysBefore %p is refused', (bad) => {
    expect(() => Trigger.schedule({ schedule: nightly(), prefix: 'raw-data/{date}/', daysBefore: bad }))
      .toThrow(`Trigger.schedule(): daysBefore must be a whole number of days from 0 to 366 (got ${bad})`);
  });

  test('daysBefore without {date} is refused', () => {
    expect(() => Trigger.schedule({ schedule: nightly(), prefix: 'raw-data/', daysBefore: 1 }))
      .toThrow("Trigger.schedule(): daysBefore is set but prefix 'raw-data/' has no {date} for it to change");
  });
});

describe.each<[string, () => Processor, string]>([
  ['Batch', () => Processor.batch(), 'aws-sdk:batch:submitJob'],
  ['the container-image Lambda', () => Processor.lambdaContainer(), ''],
])('on %s', (_name, processor, universalAction) => {
  test('one schedule with the time zone, a DLQ, and the run over the dated prefix', () => {
    const { stack, template } = build({ processor: processor(), triggers: [Trigger.schedule({ schedule: nightly(), prefix: 'raw-data/{date}/' })] });
    const [schedule] = schedules(template);
    expect(schedules(template)).toHaveLength(1);
    expect(schedule.ScheduleExpressionTimezone).toBe('Europe/London');
    expect(schedule.Target.DeadLetterConfig.Arn).toBeDefined();
    if (universalAction) {
      expect(JSON.stringify(stack.resolve(schedule.Target.Arn))).toContain(universalAction);
      const input = JSON.stringify(stack.resolve(schedule.Target.Input));
      for (const part of ['"--prefix"', '"raw-data/{date}/"', '"--date"', '"<aws.scheduler.scheduled-time>"', '"--time-zone"', '"Europe/London"']) {
        expect(input).toContain(part.replace(/"/g, '\\"'));
      }
    } else {
      expect(payloadOf(stack, schedule).scheduledRun).toMatchObject({ prefix: 'raw-data/{date}/', scheduledTime: '<aws.scheduler.scheduled-time>', timeZone: 'Europe/London' });
    }
  });
});

describe('refused at synth, naming the option', () => {
  test.each<[string, () => unknown, string | RegExp]>([
    ['an empty prefix', () => Trigger.schedule({ schedule: nightly(), prefix: '' }), "Trigger.schedule(): prefix is required and must not be empty (got ''), e.g. 'raw-data/{date}/'"],
    ['a wildcard in the prefix', () => Trigger.schedule({ schedule: nightly(), prefix: 'raw/*/{date}/' }), "Trigger.schedule(): prefix must not contain wildcards (got 'raw/*/{date}/')"],
    ['an unknown placeholder', () => Trigger.schedule({ schedule: nightly(), prefix: 'raw/{day}/' }),
      "Trigger.schedule(): prefix 'raw/{day}/' has the unknown placeholder {day}; only {date} (the run's date, YYYY-MM-DD) is replaced"],
    ['a lone brace', () => Trigger.schedule({ schedule: nightly(), prefix: 'raw/{date/' }), "Trigger.schedule(): prefix 'raw/{date/' has a '{' or '}' outside {date}"],
    ['a wildcard in the suffix', () => Trigger.schedule({ schedule: nightly(), prefix: 'raw/', suffix: '*.csv' }), "Trigger.schedule(): suffix must be at most 1024 bytes without wildcards (got '*.csv')"],
    ['a prefix too long for S3', () => Trigger.schedule({ schedule: nightly(), prefix: 'x'.repeat(1025) }), 'Trigger.schedule(): prefix must be at most 1024 bytes (got 1025)'],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  const sharedOutput = (stack: Stack) => {
    const bucket = new s3.Bucket(stack, 'Shared');
    return { inputBucket: bucket, outputBucket: bucket };
  };

  test.each([
    ['reports/{date}/', 'reports/'],
    ['results/{date}/', 'results/'],
    ['{date}/', 'results/'],
    ['re', 'results/'],
  ])('the prefix %s on an input bucket shared with the output bucket', (prefix, clash) => {
    const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    expect(() => new CdkPipeline(stack, 'P', {
      bastion: false, ...sharedOutput(stack), triggers: [Trigger.onUpload({ prefix: 'incoming/' }), Trigger.schedule({ schedule: nightly(), prefix })],
    })).toThrow(`Trigger.schedule() would start the processor on its own output (its prefix '${prefix}' matches keys under '${clash}')`);
  });

  test('a safe prefix on a shared bucket is accepted', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    new CdkPipeline(stack, 'P', {
      bastion: false, ...sharedOutput(stack), triggers: [Trigger.onUpload({ prefix: 'incoming/' }), Trigger.schedule({ schedule: nightly(), prefix: 'incoming/{date}/' })],
    });
    expect(schedules(Template.fromStack(stack))).toHaveLength(1);
  });
});
