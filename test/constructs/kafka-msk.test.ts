import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  CdkPipeline, KafkaAuth, KafkaCluster, MskProvisionedCluster, MskServerlessCluster, Processor, Sink,
} from '../../src';

function pipelineWith(sinks: Sink[], props: { maxAzs?: number } = {}): { stack: Stack; template: Template } {
  const stack = new Stack(new App(), 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
  new CdkPipeline(stack, 'Pipeline', { processor: Processor.batch({ spot: true }), sinks, ...props });
  return { stack, template: Template.fromStack(stack) };
}

const only = (template: Template, type: string): any => {
  const all = Object.values(template.findResources(type));
  expect(all).toHaveLength(1);
  return all[0];
};

describe('KafkaCluster.mskProvisioned()', () => {
  const { template } = pipelineWith([Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() })]);
  const cluster = only(template, 'AWS::MSK::Cluster');

  test('Kafka 4.1 (KRaft), in the processing VPC\'s subnets, one per zone, no public access', () => {
    expect(cluster.Properties.KafkaVersion).toBe('4.1.x.kraft');
    expect(cluster.Properties.BrokerNodeGroupInfo.ClientSubnets).toEqual([
      { Ref: expect.stringMatching(/^PipelineNetworkProcessingVpcprocessingSubnet1/) },
      { Ref: expect.stringMatching(/^PipelineNetworkProcessingVpcprocessingSubnet2/) },
    ]);
    expect(cluster.Properties.BrokerNodeGroupInfo.ConnectivityInfo).toEqual({ PublicAccess: { Type: 'DISABLED' } });
    // Two zones: 4 brokers, so that topics get three replicas.
    expect(cluster.Properties.NumberOfBrokerNodes).toBe(4);
    expect(cluster.Properties.BrokerNodeGroupInfo.InstanceType).toBe('kafka.m7g.large');
  });

  test('TLS only, client to broker and between brokers; data at rest with the pipeline key', () => {
    expect(cluster.Properties.EncryptionInfo).toEqual({
      EncryptionAtRest: { DataVolumeKMSKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineKey/), 'Arn'] } },
      EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
    });
  });

  test('broker logs go to a log group encrypted with the pipeline key, kept a year', () => {
    const logGroupId = cluster.Properties.LoggingInfo.BrokerLogs.CloudWatchLogs.LogGroup.Ref;
    expect(cluster.Properties.LoggingInfo.BrokerLogs.CloudWatchLogs.Enabled).toBe(true);
    expect(template.toJSON().Resources[logGroupId].Properties).toEqual({
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineKey/), 'Arn'] },
      RetentionInDays: 365,
    });
  });

  test('only the authentication the sink uses is offered (IAM by default)', () => {
    expect(cluster.Properties.ClientAuthentication).toEqual({ Sasl: { Iam: { Enabled: true } } });
  });

  test('retained by default (the pipeline\'s removal policy)', () => {
    expect(cluster.DeletionPolicy).toBe('Retain');
    expect(cluster.UpdateReplacePolicy).toBe('Retain');
  });

  test('three zones: 3 brokers', () => {
    const three = pipelineWith([Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() })], { maxAzs: 3 });
    expect(only(three.template, 'AWS::MSK::Cluster').Properties.NumberOfBrokerNodes).toBe(3);
  });

  test('its security group admits nobody but the processor and the topic creation, and sends nothing', () => {
    const sg = cluster.Properties.BrokerNodeGroupInfo.SecurityGroups[0]['Fn::GetAtt'][0];
    const props = template.toJSON().Resources[sg].Properties;
    expect(props.SecurityGroupIngress).toBeUndefined();
    expect(props.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })]);
  });

  test('a topic-creation trigger runs after the cluster, with the cluster\'s IAM brokers', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('creates the Kafka topics orders, orders.checkpoints') },
    }))[0] as any;
    expect(fn.Properties.VpcConfig.SubnetIds).toHaveLength(2);
    expect(fn.Properties.Environment.Variables).toEqual({
      AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
      KAFKA_AUTH: 'iam',
      KAFKA_BOOTSTRAP_BROKERS: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineMskClusterBootstrapBrokersiam/), 'BootstrapBrokerStringSaslIam'] },
      KAFKA_TOPICS: JSON.stringify([
        { name: 'orders', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
        { name: 'orders.checkpoints', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2', 'cleanup.policy': 'compact' } },
      ]),
    });
    const trigger = Object.values(template.findResources('Custom::Trigger', {
      Properties: { HandlerArn: { Ref: Match.stringLikeRegexp('^PipelineKafkaTopicsorders') } },
    }))[0] as any;
    expect(trigger.Properties.InvocationType).toBe('RequestResponse');
    expect(trigger.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^PipelineMskCluster[0-9A-F]{8}$/)]));
  });

  test('the bootstrap brokers are read at deploy time from this cluster, without downloading an SDK', () => {
    const lookup = only(template, 'Custom::KafkaBootstrapBrokers');
    const create = lookup.Properties.Create['Fn::Join'][1];
    expect(create[0]).toContain('"service":"Kafka","action":"getBootstrapBrokers"');
    expect(create[1]).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineMskCluster[0-9A-F]{8}$/), 'Arn'] });
    expect(lookup.Properties.InstallLatestAwsSdk).toBe(false);
  });

  test('partitions and replication factor of the topics, as asked', () => {
    const { template: t } = pipelineWith([Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned(), partitions: 6, replicationFactor: 2 })]);
    const fn = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('creates the Kafka topics') } }))[0] as any;
    expect(JSON.parse(fn.Properties.Environment.Variables.KAFKA_TOPICS)).toEqual([
      { name: 'orders', partitions: 6, replicationFactor: 2, configs: {} },
      { name: 'orders.checkpoints', partitions: 1, replicationFactor: 2, configs: { 'cleanup.policy': 'compact' } },
    ]);
  });

  test('two sinks share one cluster, which offers both their authentications; SCRAM secrets are associated', () => {
    const shared = KafkaCluster.mskProvisioned({ clusterName: 'orders' });
    const stack = new Stack(new App(), 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
    const secret = new secretsmanager.Secret(stack, 'Scram', { secretName: 'AmazonMSK_orders', encryptionKey: new kms.Key(stack, 'SecretKey') });
    new CdkPipeline(stack, 'Pipeline', {
      processor: Processor.batch({ spot: true }),
      sinks: [
        Sink.kafka({ topic: 'orders', cluster: shared }),
        Sink.kafka({ topic: 'refunds', cluster: shared, auth: KafkaAuth.scram(secret) }),
      ],
    });
    const t = Template.fromStack(stack);
    const c = only(t, 'AWS::MSK::Cluster');
    expect(c.Properties.ClusterName).toBe('orders');
    expect(c.Properties.ClientAuthentication).toEqual({ Sasl: { Iam: { Enabled: true }, Scram: { Enabled: true } } });
    t.hasResourceProperties('AWS::MSK::BatchScramSecret', {
      ClusterArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineMskCluster'), 'Arn'] },
      SecretArnList: [{ Ref: Match.stringLikeRegexp('^Scram') }],
    });
    expect(Object.keys(t.findResources('Custom::Trigger')).filter((id) => id.startsWith('PipelineKafkaTopics'))).toHaveLength(2);
  });

  test('mutual TLS with the certificate authorities given', () => {
    const stack = new Stack(new App(), 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Client', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:client-AbCdEf');
    const ca = 'arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/11111111-2222-3333-4444-555555555555';
    new CdkPipeline(stack, 'Pipeline', {
      processor: Processor.batch({ spot: true }),
      sinks: [Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned({ certificateAuthorityArns: [ca] }), auth: KafkaAuth.mutualTls(secret) })],
    });
    expect(only(Template.fromStack(stack), 'AWS::MSK::Cluster').Properties.ClientAuthentication).toEqual({ Tls: { Enabled: true, CertificateAuthorityArnList: [ca] } });
  });

  test('TLS alone turns on unauthenticated access over TLS, never plaintext', () => {
    const { template: t } = pipelineWith([Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned(), auth: KafkaAuth.tls() })]);
    const c = only(t, 'AWS::MSK::Cluster');
    expect(c.Properties.ClientAuthentication).toEqual({ Unauthenticated: { Enabled: true } });
    expect(c.Properties.EncryptionInfo.EncryptionInTransit.ClientBroker).toBe('TLS');
  });

  test.each<[string, object, RegExp]>([
    ['brokers not a multiple of the zones', { brokerNodes: 3 }, /brokerNodes must be a multiple of the 2 Availability Zones the brokers use, got 3/],
    ['a bad cluster name', { clusterName: '1orders' }, /clusterName "1orders" must be 1 to 64 letters, digits and "-", starting with a letter/],
    ['a bad instance type', { instanceType: 'm7g.large' }, /instanceType "m7g\.large" must be an MSK broker type such as "kafka\.m7g\.large"/],
    ['too much storage', { volumeSize: 20000 }, /volumeSize must be a whole number of GiB from 1 to 16384, got 20000/],
  ])('rejects %s', (_name, options, message) => {
    expect(() => pipelineWith([Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned(options) })])).toThrow(message);
  });

  test('a cluster belongs to one pipeline', () => {
    const shared = KafkaCluster.mskProvisioned();
    const stack = new Stack(new App(), 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
    new CdkPipeline(stack, 'One', { processor: Processor.batch({ spot: true }), sinks: [Sink.kafka({ topic: 'a', cluster: shared })] });
    expect(() => new CdkPipeline(stack, 'Two', { processor: Processor.batch({ spot: true }), sinks: [Sink.kafka({ topic: 'b', cluster: shared })] }))
      .toThrow(/A KafkaCluster\.mskProvisioned\(\) cluster belongs to TestStack\/One: share it between sinks of that pipeline only/);
  });
});

describe('KafkaCluster.mskServerless()', () => {
  const { template } = pipelineWith([Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskServerless() })]);

  test('IAM only, in the processing VPC\'s subnets, with its own security group', () => {
    const c = only(template, 'AWS::MSK::ServerlessCluster');
    expect(c.Properties.ClientAuthentication).toEqual({ Sasl: { Iam: { Enabled: true } } });
    expect(c.Properties.VpcConfigs).toEqual([{
      SubnetIds: [{ Ref: expect.stringMatching(/processingSubnet1/) }, { Ref: expect.stringMatching(/processingSubnet2/) }],
      SecurityGroups: [{ 'Fn::GetAtt': [expect.stringMatching(/^PipelineMskServerlessClusterSecurityGroup/), 'GroupId'] }],
    }]);
    expect(c.DeletionPolicy).toBe('Retain');
  });

  test('topics are created without a replication factor (MSK Serverless keeps 3)', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('creates the Kafka topics') } }))[0] as any;
    expect(JSON.parse(fn.Properties.Environment.Variables.KAFKA_TOPICS)).toEqual([
      { name: 'orders', partitions: 1, configs: {} },
      { name: 'orders.checkpoints', partitions: 1, configs: { 'cleanup.policy': 'compact' } },
    ]);
  });
});

describe('using the created cluster', () => {
  test('createdCluster exposes it once bound; grantConsume() lets a consumer read one topic with one group, nothing else', () => {
    const cluster = KafkaCluster.mskProvisioned();
    expect(cluster.createdCluster).toBeUndefined();
    const stack = new Stack(new App(), 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
    const pipeline = new CdkPipeline(stack, 'Pipeline', { processor: Processor.batch({ spot: true }), sinks: [Sink.kafka({ topic: 'orders', cluster })] });
    const msk = cluster.createdCluster as MskProvisionedCluster;
    expect(msk).toBeInstanceOf(MskProvisionedCluster);
    expect(msk.iamPort).toBe(9098);
    msk.grantConsume(pipeline.bastion!.role, 'orders', 'orders-readers');
    const policy = stack.resolve((pipeline.bastion!.role.node.tryFindChild('DefaultPolicy') as any)?.document
      ?? (pipeline.bastion!.role.node.tryFindChild('Policy') as any).document);
    const kafka = policy.Statement.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('kafka-cluster:')));
    expect(kafka.map((s: any) => s.Action)).toEqual([
      ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
      ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
      ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
    ]);
    expect(JSON.stringify(kafka[1].Resource)).toContain(':topic/');
    expect(JSON.stringify(kafka[1].Resource)).toContain('/orders"');
    expect(JSON.stringify(kafka[2].Resource)).toContain(':group/');
    expect(JSON.stringify(kafka[2].Resource)).toContain('/orders-readers"');
  });

  test('a CA bundle given to the sink reaches the topic creation too', () => {
    const { template } = pipelineWith([Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned(), auth: KafkaAuth.tls({ caPem: 'PEM' }) })]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('creates the Kafka topics'),
      Environment: { Variables: Match.objectLike({ KAFKA_AUTH: 'tls', KAFKA_CA_PEM: 'PEM' }) },
    });
  });
});

describe('the MSK constructs on their own', () => {
  test('MskProvisionedCluster offers IAM when no sink asked for anything, and takes a removal policy', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 3 });
    new MskProvisionedCluster(stack, 'Kafka', { vpc, encryptionKey: new kms.Key(stack, 'Key'), removalPolicy: RemovalPolicy.DESTROY, kafkaVersion: '3.9.x.kraft' });
    const c = only(Template.fromStack(stack), 'AWS::MSK::Cluster');
    expect(c.Properties.ClientAuthentication).toEqual({ Sasl: { Iam: { Enabled: true } } });
    expect(c.Properties.KafkaVersion).toBe('3.9.x.kraft');
    expect(c.DeletionPolicy).toBe('Delete');
  });

  test('a cluster needs two zones', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1 });
    expect(() => new MskServerlessCluster(stack, 'Kafka', { vpc, encryptionKey: new kms.Key(stack, 'Key') }))
      .toThrow(/the brokers need subnets in at least two Availability Zones, the selection has 1/);
  });
});
