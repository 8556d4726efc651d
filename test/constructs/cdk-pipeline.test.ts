import { Match } from 'aws-cdk-lib/assertions';
import { logicalIdOf, statementsOfRole, synthPipeline } from './helpers';
import { ENV } from '../../src/shared/env';

describe('CdkPipeline defaults (seed 002)', () => {
  const { template, pipeline, stack } = synthPipeline({ notificationEmails: ['ops@example.com'] });

  describe('buckets', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    test('input, output, backup and access-log buckets', () => {
      expect(Object.keys(buckets)).toHaveLength(4);
    });
    test.each(Object.keys(buckets))('%s is encrypted, versioned, private and owner-enforced', (id) => {
      const p = buckets[id].Properties;
      const encryption = p.BucketEncryption.ServerSideEncryptionConfiguration[0];
      if (id.includes('AccessLog')) {
        // S3 server access logging delivers only to SSE-S3 buckets.
        expect(encryption.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
      } else {
        // SSE-KMS with the pipeline key; Bucket Keys keep KMS requests (and their cost) down.
        expect(encryption.ServerSideEncryptionByDefault).toEqual({
          SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key'), 'Arn'] },
        });
        expect(encryption.BucketKeyEnabled).toBe(true);
      }
      expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(p.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      });
      expect(p.OwnershipControls.Rules[0].ObjectOwnership).toBe('BucketOwnerEnforced');
      expect(p.AccessControl).toBeUndefined();
    });
    test.each(Object.keys(buckets))('%s denies requests without TLS 1.2', (id) => {
      const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'))
        .filter((bp: any) => bp.Properties.Bucket.Ref === id);
      expect(policies).toHaveLength(1);
      const statements = (policies[0] as any).Properties.PolicyDocument.Statement;
      expect(statements).toEqual(expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]));
    });
    test('data buckets log to the access-log bucket', () => {
      const logBucket = Object.keys(buckets).find((id) => id.includes('AccessLog'))!;
      const logged = Object.entries(buckets).filter(([, b]: any) => b.Properties.LoggingConfiguration?.DestinationBucketName?.Ref === logBucket);
      expect(logged).toHaveLength(3);
    });
    test('backups move to Glacier IR after 30 days and expire after 365', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({
            Prefix: 'backup/',
            ExpirationInDays: 365,
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
          })]),
        },
      });
    });
  });

  describe('database', () => {
    test('PostgreSQL 17 in isolated subnets, encrypted, private, protected, Multi-AZ, backups >= 7 days', () => {
      template.hasResourceProperties('AWS::RDS::DBInstance', {
        Engine: 'postgres',
        EngineVersion: Match.stringLikeRegexp('^17\\.'),
        StorageEncrypted: true,
        PubliclyAccessible: false,
        DeletionProtection: true,
        MultiAZ: true,
        BackupRetentionPeriod: 7,
        EnableIAMDatabaseAuthentication: true,
        EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
        CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      });
      template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot' });
    });
    test('parameter group forces TLS', () => {
      template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Family: 'postgres17',
        Parameters: Match.objectLike({ 'rds.force_ssl': '1', 'ssl_min_protocol_version': 'TLSv1.2' }),
      });
    });
    test('subnet group uses the database VPC isolated subnets', () => {
      const group = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'))[0] as any;
      const ids = group.Properties.SubnetIds.map((s: any) => s.Ref);
      expect(ids).toEqual([expect.stringMatching(/DatabaseVpcdatabaseSubnet/), expect.stringMatching(/DatabaseVpcdatabaseSubnet/)]);
    });
    test('credentials are generated and rotated every 30 days', () => {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"pipeline_admin"}' }),
      });
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      });
    });
    test('only the processor and the bastion may reach the database port, after peering', () => {
      const dbSg = logicalIdOf(template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Pipeline database') });
      const processorSg = logicalIdOf(template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Pipeline processor function') });
      const bastionSg = logicalIdOf(template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Pipeline bastion') });
      const rotationSgs = Object.keys(template.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: Match.stringLikeRegexp('Rotation') },
      }));
      const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
        .filter((r: any) => r.Properties.GroupId['Fn::GetAtt']?.[0] === dbSg) as any[];
      const sources = ingress.map((r) => r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]).sort();
      expect(rotationSgs).toHaveLength(1);
      expect(sources).toEqual([processorSg, bastionSg, ...rotationSgs].sort());
      expect(ingress).toHaveLength(3);
      ingress.forEach((r) => {
        // The rotation function's rule names the port through the instance's endpoint attribute.
        const port = rotationSgs.includes(r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]) ? r.Properties.FromPort : 5432;
        expect([5432, { 'Fn::GetAtt': [expect.stringMatching(/DatabaseInstance/), 'Endpoint.Port'] }]).toContainEqual(port);
        expect(r.Properties.FromPort).toEqual(r.Properties.ToPort);
        if (!rotationSgs.includes(r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0])) expect(r.Properties.FromPort).toBe(5432);
        expect(r.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/NetworkPeering/)]));
      });
      const dbGroup = template.findResources('AWS::EC2::SecurityGroup')[dbSg] as any;
      expect(dbGroup.Properties.SecurityGroupIngress).toBeUndefined();
    });
  });

  describe('network', () => {
    test('two VPCs with the seed CIDRs, flow logs on both', () => {
      template.resourceCountIs('AWS::EC2::VPC', 2);
      template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
      template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.1.0.0/16' });
      template.resourceCountIs('AWS::EC2::FlowLog', 2);
      template.allResourcesProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    });
    test('database VPC has only isolated subnets (no Internet gateway, no NAT)', () => {
      template.resourceCountIs('AWS::EC2::InternetGateway', 1);
      template.resourceCountIs('AWS::EC2::NatGateway', 1);
      const dbSubnets = Object.keys(template.findResources('AWS::EC2::Subnet')).filter((id) => id.includes('DatabaseVpc'));
      expect(dbSubnets).toHaveLength(2);
    });
    test('peering routes connect exactly the processing and database subnets, both ways', () => {
      const peering = logicalIdOf(template, 'AWS::EC2::VPCPeeringConnection');
      const routes = Object.values(template.findResources('AWS::EC2::Route'))
        .filter((r: any) => r.Properties.VpcPeeringConnectionId?.Ref === peering) as any[];
      // 2 processing subnets x 2 database subnets, in each direction.
      expect(routes).toHaveLength(8);
      const toDb = routes.filter((r) => r.Properties.RouteTableId.Ref.includes('ProcessingVpcprocessing'));
      const toProcessing = routes.filter((r) => r.Properties.RouteTableId.Ref.includes('DatabaseVpcdatabase'));
      expect(toDb).toHaveLength(4);
      expect(toProcessing).toHaveLength(4);
      // Destinations are subnet CIDRs, never a whole VPC.
      const subnets = template.findResources('AWS::EC2::Subnet');
      const cidrsOf = (pattern: RegExp) => new Set(Object.entries(subnets)
        .filter(([id]) => pattern.test(id))
        .map(([, s]: any) => s.Properties.CidrBlock));
      expect(new Set(toDb.map((r) => r.Properties.DestinationCidrBlock))).toEqual(cidrsOf(/DatabaseVpcdatabase/));
      expect(new Set(toProcessing.map((r) => r.Properties.DestinationCidrBlock))).toEqual(cidrsOf(/ProcessingVpcprocessing/));
      expect(routes.filter((r) => !/^10\.[01]\.\d+\.\d+\/2[2-4]$/.test(r.Properties.DestinationCidrBlock))).toEqual([]);
      // Public and isolated subnets of the processing VPC get no route to the database.
      expect(routes.filter((r) => /public|isolated/.test(r.Properties.RouteTableId.Ref))).toEqual([]);
    });
    test('S3 gateway endpoint and Secrets Manager, SNS, CloudWatch Logs interface endpoints', () => {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
      });
      const names = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))
        .map((e: any) => e.Properties.ServiceName).sort();
      expect(names).toEqual(['com.amazonaws.eu-west-1.logs', 'com.amazonaws.eu-west-1.secretsmanager', 'com.amazonaws.eu-west-1.sns']);
      template.allResourcesProperties('AWS::EC2::VPCEndpoint', { VpcId: { Ref: Match.stringLikeRegexp('ProcessingVpc') } });
    });
    test('endpoint security group admits HTTPS from the processing VPC only', () => {
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('Interface VPC endpoints'),
        SecurityGroupIngress: [{ CidrIp: '10.0.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
      });
    });
  });

  describe('processor (Lambda)', () => {
    test('Node.js 24 in the processing VPC, no reserved concurrency, contract environment', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        ReservedConcurrentExecutions: Match.absent(),
        Timeout: 300,
        MemorySize: 1024,
        VpcConfig: { SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('ProcessingVpcprocessing') }]) },
        Environment: {
          Variables: Match.objectLike({
            [ENV.DB_SECRET_ARN]: { Ref: Match.stringLikeRegexp('DatabaseInstanceSecret') },
            [ENV.OUTPUT_BUCKET]: { Ref: Match.stringLikeRegexp('OutputBucket') },
            [ENV.BACKUP_BUCKET]: { Ref: Match.stringLikeRegexp('BackupBucket') },
            [ENV.TOPIC_ARN]: { Ref: Match.stringLikeRegexp('MonitoringTopic') },
            [ENV.SINKS]: Match.absent(),
            [ENV.SINKS_FILE]: '/opt/cdk-data-pipeline/sinks.json',
            [ENV.DB_NAME]: 'pipeline',
            [ENV.PIPELINE_NAME]: 'TestStack/Pipeline',
          }),
        },
      });
    });

    describe('S3 -> SQS -> Lambda (issue 7, bug 9)', () => {
      const queues = Object.fromEntries(Object.entries(template.findResources('AWS::SQS::Queue'))
        .filter(([id]) => !id.includes('SubscriptionDeadLetterQueue')));
      const queue = logicalIdOf(template, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
      const dlq = Object.keys(queues).find((id) => id !== queue)!;
      test('two queues: the processor\'s queue and its dead-letter queue, both SQS-encrypted', () => {
        expect(Object.keys(queues)).toHaveLength(2);
        expect(Object.values(queues).map((q: any) => q.Properties.SqsManagedSseEnabled)).toEqual([true, true]);
        expect(stack.resolve(pipeline.processor.queue!.queueArn)).toEqual({ 'Fn::GetAtt': [queue, 'Arn'] });
        expect(stack.resolve(pipeline.processor.deadLetterQueue!.queueArn)).toEqual({ 'Fn::GetAtt': [dlq, 'Arn'] });
      });
      test('the queue: 3 attempts (retryAttempts 2) then the dead-letter queue; visibility 6x the function timeout', () => {
        expect(queues[queue].Properties).toEqual(expect.objectContaining({
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 3 },
          VisibilityTimeout: 6 * 300,
          MessageRetentionPeriod: 4 * 86400,
        }));
        expect(queues[dlq].Properties.MessageRetentionPeriod).toBe(14 * 86400);
      });
      test('both queues deny requests without TLS', () => {
        const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as any[];
        for (const id of [queue, dlq]) {
          const own = policies.filter((p) => p.Properties.Queues.some((q: any) => q.Ref === id));
          expect(own).toHaveLength(1);
          expect(own[0].Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
            expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]));
        }
      });
      test('only S3, for the input bucket, may send to the queue', () => {
        const input = logicalIdOf(template, 'AWS::S3::Bucket', { LoggingConfiguration: { LogFilePrefix: 'input/' } });
        const policy = Object.values(template.findResources('AWS::SQS::QueuePolicy'))
          .find((p: any) => p.Properties.Queues.some((q: any) => q.Ref === queue)) as any;
        const allows = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
        expect(allows).toEqual([expect.objectContaining({
          Principal: { Service: 's3.amazonaws.com' },
          Action: expect.arrayContaining(['sqs:SendMessage']),
          Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [input, 'Arn'] } } },
        })]);
      });
      test('the function reads one file per invocation, at most 5 at once, reporting failed records', () => {
        template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
        template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
          FunctionName: { Ref: Match.stringLikeRegexp('LambdaProcessorFunction') },
          BatchSize: 1,
          ScalingConfig: { MaximumConcurrency: 5 },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        });
      });
      test('no asynchronous-invocation settings remain (they do not apply to SQS-invoked runs)', () => {
        template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
      });
      test('the processor role may consume the queue and nothing more on it', () => {
        const role = logicalIdOf(template, 'AWS::IAM::Role', { Description: 'Pipeline processor function' });
        const onQueue = statementsOfRole(template, role).filter((s) => JSON.stringify(s.Resource).includes(queue));
        expect(onQueue).toHaveLength(1);
        expect([...onQueue[0].Action].sort()).toEqual([
          'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage',
        ]);
      });
      test('*.csv uploads to the input bucket are sent to the queue', () => {
        const input = logicalIdOf(template, 'AWS::S3::Bucket', { LoggingConfiguration: { LogFilePrefix: 'input/' } });
        template.hasResourceProperties('Custom::S3BucketNotifications', {
          BucketName: { Ref: input },
          NotificationConfiguration: {
            QueueConfigurations: [{
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.csv' }] } },
              QueueArn: { 'Fn::GetAtt': [queue, 'Arn'] },
            }],
            LambdaFunctionConfigurations: Match.absent(),
          },
        });
      });
    });
    test('egress: HTTPS anywhere (AWS APIs) and the database port to the database group only', () => {
      const processorSg = logicalIdOf(template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Pipeline processor function') });
      const sg = template.findResources('AWS::EC2::SecurityGroup')[processorSg] as any;
      expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })]);
      expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
      template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
        GroupId: { 'Fn::GetAtt': [processorSg, 'GroupId'] }, FromPort: 5432, ToPort: 5432,
      });
    });
  });

  describe('IAM least privilege', () => {
    const role = logicalIdOf(template, 'AWS::IAM::Role', { Description: 'Pipeline processor function' });
    const statements = statementsOfRole(template, role);
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);

    test('no managed policies on the processor role', () => {
      const r = template.findResources('AWS::IAM::Role')[role] as any;
      expect(r.Properties.ManagedPolicyArns).toBeUndefined();
    });
    test('no wildcard actions anywhere in the processor policy', () => {
      const actions: string[] = statements.flatMap((s) => [].concat(s.Action));
      expect(actions.length).toBeGreaterThan(20);
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    });
    test('read input objects; list only the input bucket', () => {
      expect([...bySid('ReadInputObjects').Action].sort()).toEqual(['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion', 's3:GetObjectVersionTagging']);
      expect(JSON.stringify(bySid('ReadInputObjects').Resource)).toMatch(/InputBucket.*\/\*/);
      expect(bySid('ListInputBucket').Resource['Fn::GetAtt'][0]).toMatch(/InputBucket/);
    });
    test('write only results/ and rejects/ of the output bucket and backup/ of the backup bucket', () => {
      expect(bySid('WriteResults').Action).toBe('s3:PutObject');
      const results = JSON.stringify(bySid('WriteResults').Resource);
      expect(results).toContain('/results/*');
      expect(results).toContain('/rejects/*');
      expect(results).not.toMatch(/InputBucket|BackupBucket/);
      expect(JSON.stringify(bySid('WriteBackups').Resource)).toMatch(/BackupBucket.*\/backup\/\*/);
    });
    test('delete only under rejects/ of the output bucket (a clean new version removes stale rejects)', () => {
      expect(bySid('RemoveStaleRejects').Action).toBe('s3:DeleteObject');
      const resource = JSON.stringify(bySid('RemoveStaleRejects').Resource);
      expect(resource).toMatch(/OutputBucket.*\/rejects\/\*/);
      expect(resource).not.toMatch(/results|backup|InputBucket/);
      const deletes = statements.filter((s) => [].concat(s.Action).some((a: string) => a.startsWith('s3:Delete')));
      expect(deletes.map((s) => s.Sid)).toEqual(['RemoveStaleRejects']);
    });
    test('read the database secret; publish to the topic with its key', () => {
      const secretRead = statements.find((s) => [].concat(s.Action).includes('secretsmanager:GetSecretValue' as never));
      expect(secretRead.Resource.Ref).toMatch(/DatabaseInstanceSecret/);
      expect(bySid('PublishNotifications').Resource.Ref).toMatch(/MonitoringTopic/);
      // One pipeline key (buckets, secret, topic): every KMS statement names it and nothing else.
      const kms = statements.filter((s) => [].concat(s.Action).some((a: string) => a.startsWith('kms:')));
      expect(kms.length).toBeGreaterThan(0);
      const key = logicalIdOf(template, 'AWS::KMS::Key');
      expect(kms.flatMap((s) => [].concat(s.Resource))).toEqual(kms.flatMap((s) => [].concat(s.Resource)).map(() => ({ 'Fn::GetAtt': [key, 'Arn'] })));
    });
    test('the only Resource "*" is for the VPC network-interface and X-Ray actions, which allow no resource', () => {
      const star = statements.filter((s) => s.Resource === '*');
      expect(star.map((s) => s.Sid).sort()).toEqual(['ManageVpcNetworkInterfaces', 'WriteXRayTraces']);
      const eni = star.find((s) => s.Sid === 'ManageVpcNetworkInterfaces');
      expect(eni.Action).toHaveLength(6);
      expect(eni.Action.filter((a: string) => !a.startsWith('ec2:'))).toEqual([]);
      expect(star.find((s) => s.Sid === 'WriteXRayTraces').Action).toEqual(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    });
    test('statements are in one customer-managed policy, not inline (IAMNoInlinePolicy)', () => {
      const inline = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role));
      expect(inline).toEqual([]);
      const managed = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role));
      expect(managed).toHaveLength(1);
    });
  });

  describe('notifications and alarms', () => {
    test('topic is KMS-encrypted, TLS-only and CloudWatch may publish and use the key', () => {
      const key = logicalIdOf(template, 'AWS::KMS::Key');
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] })]) },
      });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
          ]),
        },
      });
    });
    test('e-mail subscription', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    });
    test('errors > 0, duration > 5 s, dead letters > 0 — each with ALARM and OK actions to the topic', () => {
      const topic = logicalIdOf(template, 'AWS::SNS::Topic');
      const actions = [{ Ref: topic }];
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: actions,
        OKActions: actions,
        TreatMissingData: 'notBreaching',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Duration',
        Namespace: 'AWS/Lambda',
        Threshold: 5000,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: actions,
        OKActions: actions,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 0,
        AlarmActions: actions,
        OKActions: actions,
      });
      expect(pipeline.alarms.length).toBe(10);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });

    test('notifications SNS could not deliver to an e-mail subscription raise an alarm on its dead-letter queue', () => {
      const alarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmDescription: Match.stringLikeRegexp('could not deliver notifications') } });
      expect(Object.values(alarms)).toHaveLength(1);
      const [alarm] = Object.values(alarms) as { Properties: { Dimensions: { Value: { 'Fn::GetAtt': string[] } }[]; Threshold: number } }[];
      expect(alarm.Properties.Threshold).toBe(0);
      expect(alarm.Properties.Dimensions[0].Value['Fn::GetAtt'][0]).toMatch(/^PipelineMonitoringSubscriptionDeadLetterQueue/);
    });

    test('failed files > 0 in 5 minutes: the runtime\'s FilesFailed metric of this pipeline (issue 7, bug 7)', () => {
      const topic = logicalIdOf(template, 'AWS::SNS::Topic');
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CdkDataPipeline',
        MetricName: 'FilesFailed',
        Dimensions: [{ Name: 'Pipeline', Value: 'TestStack/Pipeline' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topic }],
        OKActions: [{ Ref: topic }],
        AlarmDescription: Match.stringLikeRegexp('failed in 5 minutes: a CSV that does not fit its table .final: notified once with its reason, not retried. or an attempt that failed for a reason of the pipeline .retried.'),
      });
    });
    test('a file waiting over a day in the processor\'s queue (which deletes it after 4) alarms', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('LambdaProcessorQueue'), 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 86400,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: logicalIdOf(template, 'AWS::SNS::Topic') }],
      });
    });
    test('processor errors and dead letters are described as failures of the pipeline, not of content', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        AlarmDescription: Match.stringLikeRegexp('the processor itself failed .* not of a file\'s content'),
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        AlarmDescription: Match.stringLikeRegexp('could not process after every attempt .*not bad content'),
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'QueueName'] } }],
      });
    });
  });

  describe('bastion', () => {
    test('Session Manager only: IMDSv2, encrypted volume, no key pair, no inbound rule, Postgres client', () => {
      const instance = Object.values(template.findResources('AWS::EC2::Instance'))[0] as any;
      expect(instance.Properties.KeyName).toBeUndefined();
      expect(instance.Properties.BlockDeviceMappings[0].Ebs.Encrypted).toBe(true);
      expect(instance.Properties.Monitoring).toBe(true);
      expect(JSON.stringify(instance.Properties.UserData)).toContain('dnf install -y postgresql17');
      const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as any;
      expect(lt.Properties.LaunchTemplateData.MetadataOptions.HttpTokens).toBe('required');
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^Pipeline bastion'),
        SecurityGroupIngress: Match.absent(),
        SecurityGroupEgress: [Match.objectLike({ FromPort: 443, ToPort: 443 })],
      });
    });
    test('bastion role: no AWS managed or inline policies, one customer-managed policy with Session Manager actions only', () => {
      const role = logicalIdOf(template, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp('bastion') });
      const r = template.findResources('AWS::IAM::Role')[role] as any;
      expect(r.Properties.ManagedPolicyArns).toBeUndefined();
      expect(r.Properties.Policies).toBeUndefined();
      const actions = statementsOfRole(template, role).flatMap((s: any) => s.Action);
      expect([...actions].sort()).toEqual([
        'ssm:UpdateInstanceInformation',
        'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel',
      ]);
    });
    test('no inbound SSH anywhere', () => {
      const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup')) as any[];
      const inline = groups.flatMap((g) => g.Properties.SecurityGroupIngress ?? []).map((rule: any) => rule.FromPort);
      const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties.FromPort);
      // The endpoints' HTTPS rule and the three database rules: every inbound rule there is, none of them SSH.
      expect(inline).toEqual([443]);
      expect(separate).toHaveLength(3);
      expect([...inline, ...separate]).not.toContain(22);
    });
  });

  test('every part is reachable from public properties', () => {
    expect(pipeline.inputBucket).toBe(pipeline.storage.inputBucket);
    expect(pipeline.databaseVpc).not.toBe(pipeline.processingVpc);
    expect(pipeline.bastion?.instance).toBeDefined();
    expect(stack.resolve(pipeline.topic.topicArn)).toEqual({ Ref: expect.stringMatching(/MonitoringTopic/) });
  });
});
