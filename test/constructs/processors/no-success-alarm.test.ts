import { Duration } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { buildPipeline } from './helpers';
import { Trigger } from '../../../src';

describe('NoFileSucceeded alarm', () => {
  test('default: 24 hourly sums of FilesSucceeded below 1, missing data breaching', () => {
    const { template } = buildPipeline({ bastion: false });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FilesSucceeded',
      Namespace: 'CdkDataPipeline',
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 24,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('noSuccessAlarmPeriod sets the window; Duration.hours(0) turns it off', () => {
    buildPipeline({ bastion: false, noSuccessAlarmPeriod: Duration.hours(6) }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FilesSucceeded', EvaluationPeriods: 6,
    });
    const off = buildPipeline({ bastion: false, noSuccessAlarmPeriod: Duration.hours(0) }).template;
    expect(Object.values(off.findResources('AWS::CloudWatch::Alarm')).filter((a: any) => a.Properties.MetricName === 'FilesSucceeded')).toHaveLength(0);
  });

  test.each([Duration.minutes(90), Duration.hours(169), Duration.minutes(30)])('noSuccessAlarmPeriod %s is refused, naming the prop and the value', (d) => {
    expect(() => buildPipeline({ bastion: false, noSuccessAlarmPeriod: d })).toThrow(
      `noSuccessAlarmPeriod must be whole hours between 1 and 168 (7 days), or Duration.hours(0) to turn the alarm off (got ${d.toHumanString()})`);
  });
});

describe('NoReportWritten alarm', () => {
  const reportAlarms = (template: ReturnType<typeof buildPipeline>['template']) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a: any) => a.Properties.MetricName === 'ReportsWritten');

  test('with a schedule: hourly sums of ReportsWritten below 1 for the whole window, missing data breaching', () => {
    const schedule = Trigger.schedule({ schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }), prefix: 'raw/{date}/' });
    const { template } = buildPipeline({ bastion: false, triggers: [schedule], noSuccessAlarmPeriod: Duration.hours(26) });
    expect(reportAlarms(template)).toEqual([expect.objectContaining({
      Properties: expect.objectContaining({
        Statistic: 'Sum',
        Period: 3600,
        EvaluationPeriods: 26,
        DatapointsToAlarm: 26,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      }),
    })]);
  });

  test('without a schedule there are no reports to watch', () => {
    expect(reportAlarms(buildPipeline({ bastion: false }).template)).toEqual([]);
  });
});
