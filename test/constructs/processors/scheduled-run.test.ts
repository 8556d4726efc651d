import { Duration, TimeZone } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { buildPipeline } from './helpers';

describe('addScheduledRun on the zip Lambda', () => {
  test('a schedule invokes the function with the scheduledRun payload, a retry policy and an encrypted DLQ', () => {
    const { stack, template } = buildPipeline({ bastion: false }, (pipeline) => pipeline.processor.addScheduledRun(pipeline, 'Nightly', {
      schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0', timeZone: TimeZone.EUROPE_LONDON }),
      bucket: pipeline.inputBucket,
      prefix: 'raw-data/{date}/',
      suffix: '.csv',
    }));
    const schedules = template.findResources('AWS::Scheduler::Schedule');
    expect(Object.keys(schedules)).toHaveLength(1);
    const props = (Object.values(schedules)[0] as any).Properties;
    expect(props.ScheduleExpressionTimezone).toBe('Europe/London');
    expect(props.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
    expect(props.Target.DeadLetterConfig.Arn).toBeDefined();
    const input = JSON.stringify(stack.resolve(props.Target.Input));
    expect(input).toContain('\\"scheduledTime\\":\\"<aws.scheduler.scheduled-time>\\"');
    expect(input).toContain('\\"timeZone\\":\\"Europe/London\\"');
    expect(input).toContain('\\"prefix\\":\\"raw-data/{date}/\\"');
    template.hasResourceProperties('AWS::SQS::Queue', Match.objectLike({ SqsManagedSseEnabled: true }));
  });
});

test('a Lambda scheduled run that fails after Lambda\'s own retries is kept in an encrypted queue with an alarm', () => {
  const { template } = buildPipeline({}, (pipeline) => {
    pipeline.processor.addScheduledRun(pipeline, 'One', { schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)), bucket: pipeline.inputBucket, prefix: 'a/', suffix: '.csv' });
    pipeline.processor.addScheduledRun(pipeline, 'Two', { schedule: scheduler.ScheduleExpression.rate(Duration.hours(2)), bucket: pipeline.inputBucket, prefix: 'b/', suffix: '.csv' });
  });
  template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
  template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
    MaximumRetryAttempts: 2,
    MaximumEventAgeInSeconds: 21600,
    DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmDescription: Match.stringLikeRegexp("a scheduled run failed after Lambda's retries"),
  });
});
