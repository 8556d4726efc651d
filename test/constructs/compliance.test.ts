import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { logicalIdOf, statementsOfRole, synthPipeline } from './helpers';
import { CdkPipeline, Processor } from '../../src';

describe('compliance defaults (HIPAA, NIST 800-53, PCI DSS, Serverless packs)', () => {
  const { template, pipeline, stack } = synthPipeline({ notificationEmails: ['ops@example.com'] });
  const key = logicalIdOf(template, 'AWS::KMS::Key');
  const keyArn = { 'Fn::GetAtt': [key, 'Arn'] };

  test('one customer-managed pipeline key, rotated, usable by CloudWatch Logs of this account and region only', () => {
    expect(stack.resolve(pipeline.encryptionKey.keyArn)).toEqual(keyArn);
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
          Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111111111111:log-group:*']] } } },
        })]),
      },
    });
  });

  test('every log group the construct creates is encrypted with the pipeline key', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as any[];
    expect(groups.length).toBeGreaterThanOrEqual(3); // processor + two flow-log groups
    expect(groups.map((g) => g.Properties.KmsKeyId)).toEqual(groups.map(() => keyArn));
  });

  test('the generated database secret is encrypted with the pipeline key', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: keyArn });
  });

  test('the topic uses the same key', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
  });

  test('the processor function traces actively', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^cdk-data-pipeline processor'),
      TracingConfig: { Mode: 'Active' },
    });
  });

  test('RDS enhanced monitoring every 60 s with its role', () => {
    const role = logicalIdOf(template, 'AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'monitoring.rds.amazonaws.com' } })] }),
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', { MonitoringInterval: 60, MonitoringRoleArn: { 'Fn::GetAtt': [role, 'Arn'] } });
  });

  test('a daily AWS Backup plan keeps the database 35 days', () => {
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: { BackupPlanRule: [Match.objectLike({ ScheduleExpression: 'cron(0 3 * * ? *)', Lifecycle: { DeleteAfterDays: 35 } })] },
    });
    const instance = logicalIdOf(template, 'AWS::RDS::DBInstance');
    const selection = JSON.stringify(Object.values(template.findResources('AWS::Backup::BackupSelection'))[0]);
    expect(selection).toContain(instance);
  });

  test('e-mail subscriptions keep undeliverable notifications in an encrypted dead-letter queue', () => {
    const dlq = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.includes('SubscriptionDeadLetterQueue'))!;
    template.hasResource('AWS::SQS::Queue', {
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400, RedrivePolicy: Match.absent() },
    });
    expect((template.findResources('AWS::SQS::Queue')[dlq] as any).Properties.SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email', RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
    });
  });

  test('public subnets assign no public IPs; default security groups are restricted', () => {
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet')) as any[];
    expect(subnets.filter((s) => s.Properties.MapPublicIpOnLaunch === true)).toEqual([]);
    expect(Object.keys(template.findResources('Custom::VpcRestrictDefaultSG'))).toHaveLength(2);
  });

  test('the bastion requires IMDSv2 on the instance itself', () => {
    template.hasResourceProperties('AWS::EC2::Instance', { MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' } });
  });

  test('the rotation function reaches the database on its literal port', () => {
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as any[];
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.filter((r) => typeof r.Properties.FromPort !== 'number')).toEqual([]);
  });

  test('no inline IAM policy on the construct\'s own roles', () => {
    const inline = Object.keys(template.findResources('AWS::IAM::Policy'));
    // Only aws-cdk-lib's singletons (S3 notifications, log retention) keep inline policies.
    expect(inline.filter((id) => !/^(LogRetention|PipelineStorageInputBucketNotificationsHandlerPolicy)/.test(id))).toEqual([]);
  });
});

describe('compliance options', () => {
  test('bring your own key: used everywhere, no key created, CloudWatch Logs allowed on it', () => {
    const app = new App();
    const s = new Stack(app, 'Own', { env: { account: '111111111111', region: 'eu-west-1' } });
    const own = new kms.Key(s, 'Own', { enableKeyRotation: true });
    new CdkPipeline(s, 'P', { encryptionKey: own });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::KMS::Key', 2); // yours, and the topic's (its policy must admit CloudWatch alarms)
    const ownArn = { 'Fn::GetAtt': [logicalIdOf(t, 'AWS::KMS::Key', { KeyPolicy: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowCloudWatchLogsOfThisAccount' })]) }) }), 'Arn'] };
    expect(ownArn['Fn::GetAtt'][0]).toMatch(/^Own/);
    t.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: ownArn });
    const groups = Object.values(t.findResources('AWS::Logs::LogGroup')) as any[];
    expect(groups.map((g) => g.Properties.KmsKeyId)).toEqual(groups.map(() => ownArn));
  });

  test('enhanced monitoring and the backup plan can be turned off', () => {
    const { template } = synthPipeline({ databaseMonitoringInterval: Duration.seconds(0), databaseBackupPlan: false });
    template.hasResourceProperties('AWS::RDS::DBInstance', { MonitoringInterval: Match.absent() });
    template.resourceCountIs('AWS::Backup::BackupPlan', 0);
  });

  test('an invalid monitoring interval is refused in the user\'s terms', () => {
    expect(() => synthPipeline({ databaseMonitoringInterval: Duration.seconds(7) })).toThrow(/monitoringInterval must be 0 \(off\), 1, 5, 10, 15, 30 or 60 seconds/);
  });

  test('tracing can be turned off', () => {
    const { template } = synthPipeline({ processor: Processor.lambdaZip({ tracing: lambda.Tracing.DISABLED }) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^cdk-data-pipeline processor'), TracingConfig: Match.absent(),
    });
  });

  test('backupReplicationBucket replicates the backup bucket (KMS objects with the destination key) and drops its acknowledgment', () => {
    const app = new App();
    const s = new Stack(app, 'Repl', { env: { account: '111111111111', region: 'eu-west-1' } });
    const destinationKey = kms.Key.fromKeyArn(s, 'DrKey', 'arn:aws:kms:eu-central-1:111111111111:key/00000000-0000-0000-0000-000000000000');
    const destination = s3.Bucket.fromBucketAttributes(s, 'Dr', { bucketName: 'dr-backups', region: 'eu-central-1', encryptionKey: destinationKey });
    const pipeline = new CdkPipeline(s, 'P', { backupReplicationBucket: destination });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: {
        Rules: [Match.objectLike({
          Destination: Match.objectLike({ Bucket: Match.anyValue(), EncryptionConfiguration: { ReplicaKmsKeyID: destinationKey.keyArn } }),
          SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
        })],
      },
    });
    // S3 replicates with a role of ours: one customer-managed policy, exact actions, no inline policy.
    const role = logicalIdOf(t, 'AWS::IAM::Role', { Description: 'S3 replication of the pipeline backup bucket' });
    const actions = statementsOfRole(t, role).flatMap((st: any) => [].concat(st.Action)).sort();
    expect(actions).toEqual(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 's3:GetObjectVersionAcl', 's3:GetObjectVersionForReplication',
      's3:GetObjectVersionTagging', 's3:GetReplicationConfiguration', 's3:ListBucket', 's3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags']);
    expect(Object.values(t.findResources('AWS::IAM::Policy')).filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))).toEqual([]);
    const backupAcks = pipeline.nagAcknowledgments.filter((a) => a.id.endsWith('S3BucketReplicationEnabled') && a.construct.node.id === 'BackupBucket');
    expect(backupAcks).toEqual([]);
  });

  test('backupReplicationBucket needs the destination key for SSE-KMS backups', () => {
    const app = new App();
    const s = new Stack(app, 'ReplNoKey', { env: { account: '111111111111', region: 'eu-west-1' } });
    const destination = s3.Bucket.fromBucketAttributes(s, 'Dr', { bucketName: 'dr-backups', region: 'eu-central-1' });
    expect(() => new CdkPipeline(s, 'P', { backupReplicationBucket: destination })).toThrow(/import it with s3.Bucket.fromBucketAttributes/);
  });
});
