import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { processorEnvironment, synthPipeline } from './helpers';
import { CdkPipeline, CdkPipelineProps, PipelineDatabase, PipelineMonitoring, PipelineNetwork, PipelineStorage, Processor, Trigger } from '../../src';
import { ENV } from '../../src/shared/env';

function newStack(): Stack {
  return new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
}

describe('network options', () => {
  test('singleVpc: one VPC, database in its isolated subnets, no peering', () => {
    const { template } = synthPipeline({ singleVpc: true });
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::VPCPeeringConnection', 0);
    const group = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'))[0] as any;
    expect(group.Properties.SubnetIds).toEqual([
      { Ref: expect.stringMatching(/ProcessingVpcisolated/) }, { Ref: expect.stringMatching(/ProcessingVpcisolated/) },
    ]);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as any[];
    expect(ingress).toHaveLength(3);
    expect(ingress.map((r) => r.DependsOn)).toEqual([undefined, undefined, undefined]);
  });

  test('natGateways: 0 runs on endpoints only: no NAT, no Internet gateway, SSM endpoints for the bastion', () => {
    const { template } = synthPipeline({ natGateways: 0 });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    const names = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))
      .map((e: any) => e.Properties.ServiceName.replace('com.amazonaws.eu-west-1.', '')).sort();
    expect(names).toEqual(['ec2messages', 'logs', 'secretsmanager', 'sns', 'ssm', 'ssmmessages']);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('ProcessingVpcprocessing') }]) },
    });
  });

  test('natGateways: 2 and custom CIDRs', () => {
    const { template } = synthPipeline({ natGateways: 2, processingCidr: '172.16.0.0/16', databaseCidr: '172.17.0.0/16' });
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '172.16.0.0/16' });
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '172.17.0.0/16' });
  });

  test('bastion: false removes the instance and its database rule', () => {
    const { template, pipeline } = synthPipeline({ bastion: false });
    template.resourceCountIs('AWS::EC2::Instance', 0);
    expect(pipeline.bastion).toBeUndefined();
    expect(pipeline.nagAcknowledgments.map((a) => a.id)).not.toContain('AwsSolutions-EC29');
  });

  test('vpcEndpoints: false creates no endpoints', () => {
    const { template } = synthPipeline({ vpcEndpoints: false, bastion: false });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  test('bring your own VPC without isolated subnets is rejected for singleVpc', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Mine', { maxAzs: 2 });
    expect(() => new CdkPipeline(stack, 'Pipeline', { processingVpc: vpc, singleVpc: true }))
      .toThrow(/the database needs isolated \(PRIVATE_ISOLATED\) subnets and its VPC has none/);
  });

  test('bring your own VPC', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Mine', {
      maxAzs: 2,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'Db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });
    new CdkPipeline(stack, 'Pipeline', { processingVpc: vpc, singleVpc: true });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('MinePrivateSubnet') }]) },
    });
  });

  test.each<[string, CdkPipelineProps, RegExp]>([
    ['negative NAT count', { natGateways: -1 }, /natGateways must be a whole number >= 0 \(got -1\)/],
    ['fractional NAT count', { natGateways: 1.5 }, /natGateways must be a whole number/],
    ['overlapping CIDRs', { processingCidr: '10.0.0.0/16', databaseCidr: '10.0.128.0/17' }, /processingCidr \(10\.0\.0\.0\/16\) and databaseCidr \(10\.0\.128\.0\/17\) overlap/],
    ['bad CIDR', { processingCidr: '10.0.0.0/8' }, /processingCidr must be an IPv4 CIDR with a prefix between \/16 and \/28 \(got '10\.0\.0\.0\/8'\)/],
    ['no NAT and no endpoints', { natGateways: 0, vpcEndpoints: false }, /vpcEndpoints: false needs NAT gateways/],
    ['singleVpc with databaseCidr', { singleVpc: true, databaseCidr: '10.9.0.0/16' }, /databaseCidr applies only to a database VPC the construct creates/],
    ['bastionInstanceType without bastion', { bastion: false, bastionInstanceType: new ec2.InstanceType('t4g.micro') }, /bastionInstanceType is set but bastion is false/],
    ['bad e-mail', { notificationEmails: ['ops@example.com', 'not-an-address'] }, /notificationEmails\[1\] is not an e-mail address: 'not-an-address'/],
  ])('rejects %s with a message naming the prop', (_name, props, message) => {
    expect(() => synthPipeline(props)).toThrow(message);
  });

  test('natGateways conflicts with a VPC you bring', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Mine');
    expect(() => new CdkPipeline(stack, 'P', { processingVpc: vpc, natGateways: 1 })).toThrow(/natGateways applies only to a VPC the construct creates: remove it, or remove processingVpc/);
  });

  test('PipelineNetwork is usable alone and dedupes endpoints', () => {
    const stack = newStack();
    const network = new PipelineNetwork(stack, 'Net', { interfaceEndpoints: [] });
    const a = network.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.STS);
    const b = network.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.STS);
    expect(a).toBe(b);
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 2); // S3 gateway + STS
  });
});

describe('storage options', () => {
  test('bring your own buckets: none created, and the processor is granted on yours', () => {
    const stack = newStack();
    const input = new s3.Bucket(stack, 'In');
    const output = new s3.Bucket(stack, 'Out');
    const backup = new s3.Bucket(stack, 'Bak');
    const pipeline = new CdkPipeline(stack, 'P', { inputBucket: input, outputBucket: output, backupBucket: backup });
    expect(pipeline.storage.accessLogBucket).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.hasResourceProperties('Custom::S3BucketNotifications', { BucketName: { Ref: Match.stringLikeRegexp('^In') } });
  });

  test('KMS key: SSE-KMS with bucket keys, processor may use the key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'BucketKey');
    new CdkPipeline(stack, 'P', { bucketEncryptionKey: key });
    const template = Template.fromStack(stack);
    const encrypted = Object.values(template.findResources('AWS::S3::Bucket')).filter((b: any) =>
      b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm === 'aws:kms');
    expect(encrypted).toHaveLength(3);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('BucketKey'), 'Arn'] } })]) },
    });
  });

  test('backup transition must be shorter than retention', () => {
    expect(() => new PipelineStorage(newStack(), 'S', { backupRetention: Duration.days(20) }))
      .toThrow(/backupTransitionAfter \(30 days\) must be shorter than backupRetention \(20 days\)/);
  });
});

describe('database options', () => {
  test('bring your own instance and secret: nothing created, ingress added to its group', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const sg = new ec2.SecurityGroup(stack, 'DbSg', { vpc });
    const instance = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
      instanceEndpointAddress: 'db.example.internal', instanceIdentifier: 'db', port: 5433, securityGroups: [sg],
    });
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'Secret', 'pipeline/db');
    new CdkPipeline(stack, 'P', { processingVpc: vpc, singleVpc: true, databaseInstance: instance, databaseSecret: secret, bastion: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::RDS::DBInstance', 0);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('DbSg'), 'GroupId'] }, FromPort: 5433 });
  });

  describe('databaseName (issue 7, bug 1)', () => {
    const byo = (databaseName?: string) => {
      const stack = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc');
      const instance = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
        instanceEndpointAddress: 'db.example.internal', instanceIdentifier: 'db', port: 5432, securityGroups: [new ec2.SecurityGroup(stack, 'DbSg', { vpc })],
      });
      const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'Secret', 'pipeline/db');
      const pipeline = new CdkPipeline(stack, 'P', { processingVpc: vpc, singleVpc: true, databaseInstance: instance, databaseSecret: secret, bastion: false, databaseName });
      return { pipeline, template: Template.fromStack(stack) };
    };

    test('your own instance: the processor uses the secret\'s dbname (no PIPELINE_DB_NAME)', () => {
      const { pipeline, template } = byo();
      expect(pipeline.database!.databaseName).toBeUndefined();
      const env = processorEnvironment(template);
      expect(env[ENV.DB_SECRET_ARN]).toBeDefined();
      expect(Object.keys(env)).not.toContain(ENV.DB_NAME);
    });

    test('your own instance with databaseName: it overrides the secret\'s dbname', () => {
      const { template } = byo('sales_2026');
      expect(processorEnvironment(template)[ENV.DB_NAME]).toBe('sales_2026');
    });

    test('created instance: databaseName names the created database and reaches the processor', () => {
      const { template } = synthPipeline({ databaseName: 'orders' });
      template.hasResourceProperties('AWS::RDS::DBInstance', { DBName: 'orders' });
      expect(processorEnvironment(template)[ENV.DB_NAME]).toBe('orders');
    });

    test('created instance by default: database pipeline', () => {
      const { template } = synthPipeline();
      template.hasResourceProperties('AWS::RDS::DBInstance', { DBName: 'pipeline' });
      expect(processorEnvironment(template)[ENV.DB_NAME]).toBe('pipeline');
    });

    test.each([
      ['a hyphen', 'my-db'],
      ['a leading digit', '1db'],
      ['a leading underscore (RDS wants a letter)', '_db'],
      ['64 characters', 'a'.repeat(64)],
    ])('created instance: rejects a name with %s', (_n, name) => {
      expect(() => synthPipeline({ databaseName: name }))
        .toThrow(`databaseName must be 1-63 characters, start with a letter and contain only letters, digits and underscores (got '${name}')`);
    });

    test.each([
      ['a hyphen', 'my-db'],
      ['a leading digit', '1db'],
      ['a space', 'my db'],
    ])('your own instance: rejects a name with %s', (_n, name) => {
      expect(() => byo(name))
        .toThrow(`databaseName must be a PostgreSQL identifier: 1-63 characters, letters, digits, underscores or $, not starting with a digit or $ (got '${name}')`);
    });

    test('your own instance: accepts PostgreSQL identifiers RDS would not create', () => {
      expect(processorEnvironment(byo('_staging$1').template)[ENV.DB_NAME]).toBe('_staging$1');
    });
  });

  test.each<[string, (stack: Stack, vpc: ec2.IVpc) => void, RegExp]>([
    ['instance without secret', (stack, vpc) => new PipelineDatabase(stack, 'D', {
      vpc, instance: rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'I', { instanceEndpointAddress: 'x', instanceIdentifier: 'x', port: 5432, securityGroups: [] }),
    }), /instance requires secret/],
    ['PostgreSQL 15', (stack, vpc) => new PipelineDatabase(stack, 'D', { vpc, engineVersion: rds.PostgresEngineVersion.VER_15 }), /engineVersion must be PostgreSQL 16 or newer/],
    ['backups under 7 days', (stack, vpc) => new PipelineDatabase(stack, 'D', { vpc, backupRetention: Duration.days(3) }), /backupRetention must be at least 7 days \(got 3\)/],
    ['bad database name', (stack, vpc) => new PipelineDatabase(stack, 'D', { vpc, databaseName: 'my-db' }), /databaseName must be 1-63 characters, start with a letter/],
  ])('rejects %s', (_n, build, message) => {
    const stack = newStack();
    expect(() => build(stack, new ec2.Vpc(stack, 'V'))).toThrow(message);
  });

  test('instance type, engine, Multi-AZ, storage and protection are configurable', () => {
    const { template } = synthPipeline({
      databaseInstanceType: new ec2.InstanceType('r6g.large'),
      databaseEngineVersion: rds.PostgresEngineVersion.VER_16_8,
      multiAz: false,
      allocatedStorage: 50,
      deletionProtection: false,
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.r6g.large', EngineVersion: '16.8', MultiAZ: false, AllocatedStorage: '50', DeletionProtection: false,
    });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres16' });
  });
});

describe('monitoring options', () => {
  test('bring your own topic: no topic or topic key created, e-mails subscribed to yours', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Mine');
    new CdkPipeline(stack, 'P', { topic, notificationEmails: ['a@example.com'] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    // Only the pipeline key (log groups, secret, buckets).
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: { Ref: Match.stringLikeRegexp('^Mine') } });
  });

  test('alarms: false and dashboard: false', () => {
    const { template } = synthPipeline({ alarms: false, dashboard: false });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  test('duration threshold is configurable', () => {
    const { template } = synthPipeline({ durationAlarmThreshold: Duration.seconds(90) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Threshold: 90000 });
  });

  test('failed-files threshold is configurable', () => {
    const { template } = synthPipeline({ failedFilesAlarmThreshold: 3 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FilesFailed', Threshold: 3 });
  });

  test('the FilesFailed alarm uses metricsNamespace and pipelineName', () => {
    const { template } = synthPipeline({ metricsNamespace: 'Acme/Ingest', pipelineName: 'orders' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Acme/Ingest', MetricName: 'FilesFailed', Dimensions: [{ Name: 'Pipeline', Value: 'orders' }],
    });
  });

  test.each<[string, CdkPipelineProps, string]>([
    ['a negative failed-files threshold', { failedFilesAlarmThreshold: -1 }, 'failedFilesAlarmThreshold must be a whole number >= 0 (got -1)'],
    ['a fractional failed-files threshold', { failedFilesAlarmThreshold: 0.5 }, 'failedFilesAlarmThreshold must be a whole number >= 0 (got 0.5)'],
    ['thresholds without alarms', { alarms: false, failedFilesAlarmThreshold: 2, durationAlarmThreshold: Duration.seconds(9) },
      'durationAlarmThreshold and failedFilesAlarmThreshold configure alarms, but alarms is false: remove them, or remove alarms'],
  ])('rejects %s', (_n, props, message) => {
    expect(() => synthPipeline(props)).toThrow(message);
  });

  test('PipelineMonitoring.addAlarm wires ALARM and OK actions', () => {
    const stack = newStack();
    const m = new PipelineMonitoring(stack, 'M', { dashboard: false });
    m.addAlarm('A', new cloudwatch.Metric({ namespace: 'X', metricName: 'Y' }), { threshold: 1, evaluationPeriods: 1 });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('MTopic') }], OKActions: [{ Ref: Match.stringLikeRegexp('MTopic') }],
    });
  });
});

describe('processor and trigger options', () => {
  test('Processor.lambdaZip options reach the function, its queue and its event source', () => {
    const { template } = synthPipeline({
      processor: Processor.lambdaZip({
        memorySize: 2048,
        timeout: Duration.minutes(10),
        reservedConcurrentExecutions: 4,
        maxConcurrency: 3,
        retryAttempts: 0,
        deadLetterRetention: Duration.days(7),
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 2048, Timeout: 600, ReservedConcurrentExecutions: 4 });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 3600, RedrivePolicy: Match.objectLike({ maxReceiveCount: 1 }) });
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.absent(), MessageRetentionPeriod: 7 * 86400 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 3 } });
  });

  test('reservedConcurrentExecutions below 5 lowers the default maxConcurrency to it', () => {
    const { template } = synthPipeline({ processor: Processor.lambdaZip({ reservedConcurrentExecutions: 3 }) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 3 } });
  });

  test('maxEventAge (deprecated) has no effect and says so at synth', () => {
    const { stack, template } = synthPipeline({ processor: Processor.lambdaZip({ maxEventAge: Duration.hours(1) }) });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('maxEventAge has no effect'));
    expect(warnings).toHaveLength(1);
  });

  test.each<[string, () => unknown, RegExp]>([
    ['timeout over 15 minutes', () => Processor.lambdaZip({ timeout: Duration.minutes(20) }), /timeout must be at most 15 minutes \(got 20 minutes\); use Processor.fargate\(\) or Processor.batch\(\)/],
    ['retryAttempts 1000', () => Processor.lambdaZip({ retryAttempts: 1000 }), /retryAttempts must be a whole number between 0 and 999 \(got 1000\)/],
    ['retryAttempts -1', () => Processor.lambdaZip({ retryAttempts: -1 }), /retryAttempts must be a whole number between 0 and 999 \(got -1\)/],
    ['memory 64', () => Processor.lambdaZip({ memorySize: 64 }), /memorySize must be a whole number of MiB between 128 and 10240 \(got 64\)/],
    ['reserved concurrency 1', () => Processor.lambdaZip({ reservedConcurrentExecutions: 1 }), /reservedConcurrentExecutions must be a whole number >= 2, since the queue runs at least 2 invocations at once \(got 1\)/],
    ['maxConcurrency 1', () => Processor.lambdaZip({ maxConcurrency: 1 }), /maxConcurrency must be a whole number between 2 and 1000 \(got 1\)/],
    ['maxConcurrency above the reserved concurrency', () => Processor.lambdaZip({ maxConcurrency: 10, reservedConcurrentExecutions: 5 }),
      /maxConcurrency \(10\) must not exceed reservedConcurrentExecutions \(5\): the queue would deliver files to a throttled function/],
    ['dead letters kept no longer than the queue', () => Processor.lambdaZip({ deadLetterRetention: Duration.days(4) }),
      /deadLetterRetention must be longer than the queue's 4 days and at most 14 days \(got 4 days\)/],
    ['wildcard suffix', () => Trigger.onUpload({ suffix: '*.csv' }), /Trigger.onUpload\(\): suffix must be 1-1024 characters without wildcards \(got '\*.csv'\)/],
  ])('rejects %s', (_n, build, message) => {
    expect(build).toThrow(message);
  });

  test('Trigger.onUpload with prefix and custom suffix; several triggers', () => {
    const { template } = synthPipeline({ triggers: [Trigger.onUpload({ prefix: 'incoming/', suffix: '.CSV' }), Trigger.onUpload({ prefix: 'manual/' })] });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.CSV' }, { Name: 'prefix', Value: 'incoming/' }] } } }),
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.csv' }, { Name: 'prefix', Value: 'manual/' }] } } }),
        ],
      },
    });
  });
});

describe('deploy-time migration', () => {
  test('the processor is invoked once per deployment after the database, network and rules exist', () => {
    const { template } = synthPipeline();
    const trigger = Object.values(template.findResources('Custom::Trigger'))[0] as any;
    expect(trigger.Properties.InvocationType).toBe('RequestResponse');
    expect(trigger.Properties.HandlerArn.Ref).toMatch(/LambdaProcessorFunctionCurrentVersion/);
    const deps: string[] = trigger.DependsOn;
    expect(deps.some((d) => /DatabaseInstance[0-9A-F]{8}$/.test(d))).toBe(true);
    expect(deps.some((d) => /NetworkPeering/.test(d))).toBe(true);
    expect(deps.some((d) => /DatabaseFromProcessor/.test(d))).toBe(true);
  });

  test('migrateOnDeploy: false leaves the tables to first use', () => {
    const { template } = synthPipeline({ migrateOnDeploy: false });
    template.resourceCountIs('Custom::Trigger', 0);
  });
});
