import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { buildPipeline } from './helpers';
import { Processor } from '../../../src';

function uploadTarget(template: any): any {
  const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.EventPattern.source[0] === 'aws.s3') as any;
  return { pattern: rule.Properties.EventPattern, target: rule.Properties.Targets[0] };
}

describe('Processor.fargate()', () => {
  const { template } = buildPipeline({ bastion: false, processor: Processor.fargate() });

  test('a cluster with Container Insights, a 1 vCPU / 2 GiB x86 task, read-only root fs with a /tmp scratch volume, stopTimeout 120 s', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '1024',
      Memory: '2048',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      Volumes: [{ Name: 'scratch' }],
      ContainerDefinitions: [Match.objectLike({
        Name: 'processor',
        ReadonlyRootFilesystem: true,
        StopTimeout: 120,
        MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'scratch', ReadOnly: false }],
        LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
      })],
    });
  });

  test('the log group keeps a year and is encrypted with the pipeline key', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });

  test('uploads: an Object Created rule for the input bucket (suffix .csv) starts the task with the object in the command', () => {
    const { pattern, target } = uploadTarget(template);
    expect(pattern['detail-type']).toEqual(['Object Created']);
    expect(pattern.detail.object.key).toEqual([{ suffix: '.csv' }]);
    expect(target.EcsParameters.LaunchType).toBe('FARGATE');
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 86400 });
    expect(target.DeadLetterConfig).toBeDefined();
    expect(target.InputTransformer.InputPathsMap).toEqual({
      'detail-bucket-name': '$.detail.bucket.name',
      'detail-object-key': '$.detail.object.key',
      'detail-object-version-id': '$.detail.object.version-id',
      'detail-object-sequencer': '$.detail.object.sequencer',
    });
    expect(JSON.parse(target.InputTransformer.InputTemplate.replace(/<([^>]+)>/g, '"$1"'))).toEqual({
      containerOverrides: [{
        name: 'processor',
        command: ['run', '--bucket', 'detail-bucket-name', '--key', 'detail-object-key',
          '--version-id', 'detail-object-version-id', '--sequencer', 'detail-object-sequencer'],
      }],
    });
    // The input bucket sends its events to EventBridge.
    template.hasResourceProperties('Custom::S3BucketNotifications', { NotificationConfiguration: { EventBridgeConfiguration: {} } });
  });

  test('failed tasks: STOPPED with a non-zero exit code, this task definition family only, to the topic', () => {
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.EventPattern.source[0] === 'aws.ecs') as any;
    const detail = rule.Properties.EventPattern.detail;
    expect(detail.lastStatus).toEqual(['STOPPED']);
    expect(detail.$or).toContainEqual({ containers: { exitCode: [{ 'anything-but': 0 }] }, stopCode: [{ 'anything-but': ['SpotInterruption'] }] });
    expect(JSON.stringify(detail.taskDefinitionArn)).toMatch(/task-definition\/TestStackPipelineFargateProcessorTaskDefinition[0-9A-F]+:/);
    expect(detail.clusterArn).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^PipelineFargateProcessorCluster/), 'Arn'] }]);
    expect(rule.Properties.Targets[0].Arn).toEqual({ Ref: expect.stringMatching(/^PipelineMonitoringTopic/) });
    expect(rule.Properties.Targets[0].InputTransformer.InputTemplate).toContain('a processor task failed');
  });

  test('failure notifications: undeliverable ones go to the DLQ; EventBridge may use the topic key', () => {
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) => r.Properties.EventPattern.source[0] === 'aws.ecs') as any;
    expect(rule.Properties.Targets[0].DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineFargateProcessorDeadLetterQueue/), 'Arn'] });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowEventBridgeFailureNotifications', Principal: { Service: 'events.amazonaws.com' } })]) },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('upload events for which no task or job could be started') });
  });

  test('natGateways: 0 creates the endpoints the task needs (ECR API, ECR Docker, Logs, STS; S3 gateway)', () => {
    const t = buildPipeline({ bastion: false, natGateways: 0, processor: Processor.fargate() }).template;
    const services = Object.values(t.findResources('AWS::EC2::VPCEndpoint')).map((e: any) => JSON.stringify(e.Properties.ServiceName));
    for (const s of ['ecr.api', 'ecr.dkr', 'logs', 'sts', 's3', 'secretsmanager', 'sns']) {
      expect(services.some((n) => n.includes(`.${s}`))).toBe(true);
    }
  });

  test('a scheduled run calls ecs:RunTask with the run command, the processing subnets and no public IP', () => {
    const built = buildPipeline({ bastion: false, processor: Processor.fargate() }, (pipeline) => pipeline.processor.addScheduledRun(pipeline, 'Nightly', {
      schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }), bucket: pipeline.inputBucket, prefix: 'raw-data/{date}/', suffix: '.csv',
    }));
    const schedule = Object.values(built.template.findResources('AWS::Scheduler::Schedule'))[0] as any;
    expect(JSON.stringify(schedule.Properties.Target.Arn)).toContain(':scheduler:::aws-sdk:ecs:runTask');
    const input = JSON.stringify(built.stack.resolve(schedule.Properties.Target.Input));
    for (const part of ['\\"launchType\\":\\"FARGATE\\"', '\\"assignPublicIp\\":\\"DISABLED\\"', '\\"--prefix\\",\\"raw-data/{date}/\\"',
      '\\"--date\\",\\"<aws.scheduler.scheduled-time>\\"', '\\"--time-zone\\",\\"Etc/UTC\\"', '\\"--suffix\\",\\".csv\\"']) {
      expect(input).toContain(part);
    }
    built.template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ecs:RunTask', Condition: { ArnEquals: Match.anyValue() } })]) },
    });
  });
});

describe('Processor.fargate({ spot: true })', () => {
  const built = buildPipeline({ bastion: false, processor: Processor.fargate({ spot: true }) }, (pipeline) => pipeline.processor.addScheduledRun(pipeline, 'Nightly', {
    schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)), bucket: pipeline.inputBucket, prefix: 'p/', suffix: '.csv',
  }));

  test('the rule target has CapacityProviderStrategy FARGATE_SPOT and no LaunchType; the cluster has the capacity providers', () => {
    const { target } = uploadTarget(built.template);
    expect(target.EcsParameters.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
    expect(target.EcsParameters.LaunchType).toBeUndefined();
    built.template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', { CapacityProviders: ['FARGATE', 'FARGATE_SPOT'] });
  });

  test('a task stopped by a Spot reclaim is started again with its own command, on FARGATE_SPOT; the failure e-mail skips reclaims', () => {
    const rules = Object.values(built.template.findResources('AWS::Events::Rule')) as any[];
    const restart = rules.find((r) => r.Properties.EventPattern.detail?.stopCode?.[0] === 'SpotInterruption');
    expect(restart).toBeDefined();
    expect(restart.Properties.EventPattern).toMatchObject({ 'source': ['aws.ecs'], 'detail-type': ['ECS Task State Change'], 'detail': { lastStatus: ['STOPPED'] } });
    const [target] = restart.Properties.Targets;
    expect(target.Input).toBeUndefined();
    expect(target.InputTransformer).toEqual({
      InputPathsMap: { command: '$.detail.overrides.containerOverrides[0].command' },
      InputTemplate: '{"containerOverrides":[{"name":"processor","command":<command>}]}',
    });
    expect(target.EcsParameters.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
    expect(target.EcsParameters.LaunchType).toBeUndefined();
    expect(target.DeadLetterConfig).toBeDefined();
    expect(target.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 2 });
    const failed = rules.find((r) => r.Properties.Description?.endsWith('stopped with a non-zero exit code or failed to start'));
    expect(JSON.stringify(failed.Properties.EventPattern)).toContain('{"anything-but":["SpotInterruption"]}');
  });

  test('without spot there is no restart rule', () => {
    const { template } = buildPipeline({ bastion: false, processor: Processor.fargate() });
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as any[];
    expect(rules.filter((r) => r.Properties.EventPattern.detail?.stopCode?.[0] === 'SpotInterruption')).toEqual([]);
  });

  test('scheduled runs use FARGATE_SPOT too', () => {
    const schedule = Object.values(built.template.findResources('AWS::Scheduler::Schedule'))[0] as any;
    const input = JSON.stringify(built.stack.resolve(schedule.Properties.Target.Input));
    expect(input).toContain('\\"capacityProvider\\":\\"FARGATE_SPOT\\"');
    expect(input).not.toContain('launchType');
  });
});

describe('Processor.fargate() validation names the prop and the bad value', () => {
  test.each([
    [{ stopTimeout: Duration.seconds(121) }, 'Processor.fargate(): stopTimeout must be between 2 and 120 seconds, Fargate\'s limit (got 2 minutes 1 second)'],
    [{ cpu: 300 }, 'Processor.fargate(): cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units (got 300)'],
    [{ cpu: 1024, memoryLimitMiB: 1024 }, 'Processor.fargate(): memoryLimitMiB 1024 is not a Fargate size for cpu 1024'],
    [{ cpu: 256, memoryLimitMiB: 1536 }, 'Processor.fargate(): memoryLimitMiB 1536 is not a Fargate size for cpu 256'],
    [{ maxEventAge: Duration.hours(25) }, 'Processor.fargate(): maxEventAge must be between 1 minute and 24 hours (EventBridge\'s limits) (got 1 day 1 hour)'],
  ])('%o', (options, message) => {
    expect(() => Processor.fargate(options)).toThrow(message);
  });

  test('your own image', () => {
    const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/example/processor:1.2.3');
    const { template } = buildPipeline({ bastion: false, processor: Processor.fargate({ image }) });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { ContainerDefinitions: [Match.objectLike({ Image: 'public.ecr.aws/example/processor:1.2.3' })] });
  });

  test('valid sizes and arm64 synthesize', () => {
    const processor = Processor.fargate({ cpu: 4096, memoryLimitMiB: 30720, architecture: ecs.CpuArchitecture.ARM64 });
    const { template } = buildPipeline({ bastion: false, processor });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '4096', Memory: '30720', RuntimePlatform: { CpuArchitecture: 'ARM64' } });
  });
});
