import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { buildPipeline } from './helpers';
import { BatchComputeType, Processor } from '../../../src';

describe('Processor.batch()', () => {
  const built = buildPipeline({ bastion: false, processor: Processor.batch() }, (pipeline) => pipeline.processor.addScheduledRun(pipeline, 'Nightly', {
    schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }), bucket: pipeline.inputBucket, prefix: 'raw-data/{date}/', suffix: '.csv',
  }));
  const { template } = built;

  test('Fargate Spot compute environment (16 vCPUs), one queue, a Fargate job definition with the object as Ref:: parameters', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', { Type: 'managed', ComputeResources: Match.objectLike({ Type: 'FARGATE_SPOT', MaxvCpus: 16 }) });
    template.resourceCountIs('AWS::Batch::JobQueue', 1);
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      PlatformCapabilities: ['FARGATE'],
      Parameters: { versionId: '', sequencer: '' },
      Timeout: { AttemptDurationSeconds: 21600 },
      ContainerProperties: Match.objectLike({
        Command: ['run', '--bucket', 'Ref::bucket', '--key', 'Ref::key', '--version-id', 'Ref::versionId', '--sequencer', 'Ref::sequencer'],
        ReadonlyRootFilesystem: true,
        MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'scratch' }],
        NetworkConfiguration: { AssignPublicIp: 'DISABLED' },
        LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
      }),
    });
  });

  test('retry strategies: retry on host/Spot termination and exit code 75, exit on any other exit code; 3 attempts', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      RetryStrategy: {
        Attempts: 3,
        EvaluateOnExit: [
          { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
          { Action: 'RETRY', OnExitCode: '75' },
          { Action: 'EXIT', OnExitCode: '*' },
        ],
      },
    });
  });

  test('uploads: an Object Created rule submits the job with bucket, key, versionId and sequencer as parameters', () => {
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.EventPattern.source[0] === 'aws.s3') as any;
    const target = rule.Properties.Targets[0];
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineBatchProcessorJobQueue/), 'JobQueueArn'] });
    expect(target.BatchParameters).toEqual({ JobDefinition: { Ref: expect.stringMatching(/^PipelineBatchProcessorJobDefinition/) }, JobName: 'upload' });
    expect(JSON.parse(target.InputTransformer.InputTemplate.replace(/<([^>]+)>/g, '"$1"'))).toEqual({
      Parameters: { bucket: 'detail-bucket-name', key: 'detail-object-key', versionId: 'detail-object-version-id', sequencer: 'detail-object-sequencer' },
    });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 86400 });
    expect(target.DeadLetterConfig).toBeDefined();
    expect(target.RoleArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineBatchProcessorEventRole/), 'Arn'] });
  });

  test('failed jobs: Batch Job State Change FAILED for this queue only, to the topic', () => {
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.EventPattern.source[0] === 'aws.batch') as any;
    expect(rule.Properties.EventPattern['detail-type']).toEqual(['Batch Job State Change']);
    expect(rule.Properties.EventPattern.detail).toEqual({ status: ['FAILED'], jobQueue: [{ 'Fn::GetAtt': [expect.stringMatching(/^PipelineBatchProcessorJobQueue/), 'JobQueueArn'] }] });
    expect(rule.Properties.Targets[0].Arn).toEqual({ Ref: expect.stringMatching(/^PipelineMonitoringTopic/) });
  });

  test('a scheduled run submits the job with the run command as a container override', () => {
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as any;
    expect(JSON.stringify(schedule.Properties.Target.Arn)).toContain(':scheduler:::aws-sdk:batch:submitJob');
    const input = JSON.stringify(built.stack.resolve(schedule.Properties.Target.Input));
    expect(input).toContain('\\"containerOverrides\\":{\\"command\\":[\\"run\\",\\"--bucket\\"');
    expect(input).toContain('\\"--date\\",\\"<aws.scheduler.scheduled-time>\\",\\"--time-zone\\",\\"Etc/UTC\\"');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', AlarmDescription: Match.stringLikeRegexp('scheduled run') });
  });

  test('natGateways: 0 creates ECR, Logs and STS endpoints; on EC2 also the ECS agent\'s', () => {
    const names = (p: Processor) => Object.values(buildPipeline({ bastion: false, natGateways: 0, processor: p }).template.findResources('AWS::EC2::VPCEndpoint'))
      .map((e: any) => JSON.stringify(e.Properties.ServiceName)).join(' ');
    const fargate = names(Processor.batch());
    for (const s of ['ecr.api', 'ecr.dkr', 'logs', 'sts']) expect(fargate).toContain(`.${s}`);
    expect(fargate).not.toContain('.ecs-agent');
    const ec2 = names(Processor.batch({ computeType: BatchComputeType.EC2 }));
    for (const s of ['ecs', 'ecs-agent', 'ecs-telemetry']) expect(ec2).toContain(`.${s}"`);
  });
});

describe('Processor.batch() validation names the prop and the bad value', () => {
  test.each([
    [{ retryAttempts: 0 }, 'Processor.batch(): retryAttempts must be a whole number between 1 and 10, AWS Batch\'s limits (got 0)'],
    [{ retryAttempts: 11 }, 'Processor.batch(): retryAttempts must be a whole number between 1 and 10, AWS Batch\'s limits (got 11)'],
    [{ retryOnStatusReasons: ['A*', 'B*', 'C*'] }, 'Processor.batch(): retryOnStatusReasons may hold at most 2 entries, since AWS Batch allows 5 retry strategies and 3 are the processor\'s own (got 3: A*, B*, C*)'],
    [{ retryOnStatusReasons: ['bad|reason'] }, 'Processor.batch(): retryOnStatusReasons[0] must be 1-512 letters'],
    [{ vcpus: 3 }, 'Processor.batch(): vcpus must be one of 0.25, 0.5, 1, 2, 4, 8, 16 on Fargate (got 3)'],
    [{ vcpus: 1, memoryLimitMiB: 1000 }, 'Processor.batch(): memoryLimitMiB 1000 is not a Fargate size for cpu 1024'],
    [{ maxvCpus: 0 }, 'Processor.batch(): maxvCpus must be a whole number of at least vcpus (1), or no job could start (got 0)'],
    [{ timeout: Duration.seconds(30) }, 'Processor.batch(): timeout must be at least 60 seconds, AWS Batch\'s minimum (got 30 seconds)'],
    [{ ec2InstanceClasses: [] }, 'Processor.batch(): ec2InstanceClasses applies only to computeType: BatchComputeType.EC2'],
  ])('%o', (options, message) => {
    expect(() => Processor.batch(options as any)).toThrow(message);
  });

  test('two extra status reasons fit: five strategies, the catch-all last', () => {
    const { template } = buildPipeline({ bastion: false, processor: Processor.batch({ retryOnStatusReasons: ['CannotPullContainerError*', 'ResourceInitializationError*'] }) });
    const jd = Object.values(template.findResources('AWS::Batch::JobDefinition'))[0] as any;
    expect(jd.Properties.RetryStrategy.EvaluateOnExit).toHaveLength(5);
    expect(jd.Properties.RetryStrategy.EvaluateOnExit[4]).toEqual({ Action: 'EXIT', OnExitCode: '*' });
  });
});
