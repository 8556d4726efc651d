import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { logicalIdOf, statementsOfRole } from './helpers';
import { CdkPipeline, KafkaAuth, KafkaCluster, Processor, Sink, KafkaSinkOptions } from '../../src';
import { kafkaSinkConfigProblems } from '../../src/runtime/kafka/settings';

const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:111111111111:cluster/orders-cluster/5c0ffee0-1234-5678-9abc-def012345678-7';
const MSK = 'arn:aws:kafka:eu-west-1:111111111111';
const CLUSTER_PATH = 'orders-cluster/5c0ffee0-1234-5678-9abc-def012345678-7';
const IAM_BROKERS = 'b-1.orders.x1y2z3.c2.kafka.eu-west-1.amazonaws.com:9098,b-2.orders.x1y2z3.c2.kafka.eu-west-1.amazonaws.com:9098';

/**
 * Evaluates the CloudFormation intrinsics of `value` as CloudFormation would,
 * with the created cluster's ARN and its bootstrap brokers (what the
 * deploy-time lookup returns) substituted.
 */
function evaluate(value: any): any {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(evaluate);
  if ('Fn::Join' in value) {
    const [sep, list] = value['Fn::Join'];
    return (evaluate(list) as string[]).join(sep);
  }
  if ('Fn::Split' in value) return (evaluate(value['Fn::Split'][1]) as string).split(value['Fn::Split'][0]);
  if ('Fn::Select' in value) return evaluate(value['Fn::Select'][1])[value['Fn::Select'][0]];
  if ('Fn::GetAtt' in value) {
    const [id, attr] = value['Fn::GetAtt'];
    if (/^PipelineMsk(Serverless)?Cluster[0-9A-F]{8}$/.test(id) && attr === 'Arn') return CLUSTER_ARN;
    if (/^PipelineMsk(Serverless)?ClusterBootstrapBrokers/.test(id)) return IAM_BROKERS;
    return `<${id}.${attr}>`;
  }
  if ('Ref' in value) return value.Ref === 'AWS::Partition' ? 'aws' : `<${value.Ref}>`;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v)]));
}

type SinkOptions = KafkaSinkOptions | ((stack: Stack) => KafkaSinkOptions);

function pipeline(sink: SinkOptions, processor: Processor = Processor.batch({ spot: true })) {
  const stack = new Stack(new App(), 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const p = new CdkPipeline(stack, 'Pipeline', { processor, sinks: [Sink.kafka(typeof sink === 'function' ? sink(stack) : sink)] });
  const id = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  return {
    stack, pipeline: p, template: Template.fromStack(stack), processorRole: id(p.processor.role!), processorSg: id(p.processor.securityGroup),
  };
}

/** The statements of `role` that name Kafka, evaluated. */
function kafkaStatements(template: Template, roleId: string, service = 'kafka-cluster:'): any[] {
  return statementsOfRole(template, roleId)
    .filter((s) => [s.Action].flat().some((a: string) => a.startsWith(service)))
    .map(evaluate);
}


describe('MSK IAM: the processor gets this cluster, these topics, this group, this transactional-id prefix', () => {
  test('exactly once (default)', () => {
    const { template, processorRole } = pipeline({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() });
    expect(kafkaStatements(template, processorRole)).toEqual([
      { Effect: 'Allow', Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'], Resource: CLUSTER_ARN },
      { Effect: 'Allow', Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'], Resource: [`${MSK}:topic/${CLUSTER_PATH}/orders`, `${MSK}:topic/${CLUSTER_PATH}/orders.checkpoints`] },
      { Effect: 'Allow', Action: 'kafka-cluster:ReadData', Resource: `${MSK}:topic/${CLUSTER_PATH}/orders.checkpoints` },
      { Effect: 'Allow', Action: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'], Resource: `${MSK}:group/${CLUSTER_PATH}/cdk-data-pipeline.orders.checkpoints.*` },
      { Effect: 'Allow', Action: ['kafka-cluster:AlterTransactionalId', 'kafka-cluster:DescribeTransactionalId'], Resource: `${MSK}:transactional-id/${CLUSTER_PATH}/cdk-data-pipeline.orders.*` },
    ]);
  });

  test('at least once (each checkpoint a transaction of its own): the same grants; custom names are the ones granted', () => {
    const { template, processorRole } = pipeline({
      topic: 'orders', cluster: KafkaCluster.mskProvisioned(), exactlyOnce: false, checkpointTopic: 'orders-cp', checkpointGroupId: 'orders-cp-reader',
    });
    const statements = kafkaStatements(template, processorRole);
    expect(statements.map((s) => s.Resource)).toEqual([
      CLUSTER_ARN,
      [`${MSK}:topic/${CLUSTER_PATH}/orders`, `${MSK}:topic/${CLUSTER_PATH}/orders-cp`],
      `${MSK}:topic/${CLUSTER_PATH}/orders-cp`,
      `${MSK}:group/${CLUSTER_PATH}/orders-cp-reader.*`,
      `${MSK}:transactional-id/${CLUSTER_PATH}/cdk-data-pipeline.orders.*`,
    ]);
  });

  test('an existing MSK cluster by ARN: the same statements on its ARN, literally, and the creation of the checkpoint topic', () => {
    const { template, processorRole } = pipeline({
      topic: 'orders',
      cluster: KafkaCluster.fromBootstrapBrokers({ bootstrapBrokers: IAM_BROKERS.split(','), clusterArn: CLUSTER_ARN }),
      auth: KafkaAuth.iam(),
    });
    const resources = statementsOfRole(template, processorRole)
      .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kafka-cluster:'))).map((s) => s.Resource);
    expect(resources).toEqual([
      CLUSTER_ARN,
      [`${MSK}:topic/${CLUSTER_PATH}/orders`, `${MSK}:topic/${CLUSTER_PATH}/orders.checkpoints`],
      `${MSK}:topic/${CLUSTER_PATH}/orders.checkpoints`,
      `${MSK}:group/${CLUSTER_PATH}/cdk-data-pipeline.orders.checkpoints.*`,
      // The runtime creates a missing checkpoint topic; on a created cluster the deploy-time step does.
      `${MSK}:topic/${CLUSTER_PATH}/orders.checkpoints`,
      `${MSK}:transactional-id/${CLUSTER_PATH}/cdk-data-pipeline.orders.*`,
    ]);
    const actions = statementsOfRole(template, processorRole).map((s) => s.Action);
    expect(actions).toContainEqual('kafka-cluster:CreateTopic');
  });

  test('no Kafka statement uses a wildcard action or resource *', () => {
    const { template } = pipeline({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() });
    const all = Object.values({ ...template.findResources('AWS::IAM::ManagedPolicy'), ...template.findResources('AWS::IAM::Policy') })
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('kafka')));
    expect(all.length).toBeGreaterThan(0);
    for (const s of all) {
      expect([s.Action].flat().some((a: string) => a.endsWith('*'))).toBe(false);
      expect(s.Resource).not.toEqual('*');
    }
  });

  test('the topic creation may connect and create or grow these two topics only', () => {
    const { template } = pipeline({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() });
    const role = logicalIdOf(template, 'AWS::IAM::Role', { Description: 'Kafka sink topic creation (deploy time)' });
    expect(kafkaStatements(template, role)).toEqual([
      { Sid: 'KafkaConnect', Effect: 'Allow', Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'], Resource: CLUSTER_ARN },
      {
        Sid: 'KafkaCreateTopics',
        Effect: 'Allow',
        Action: ['kafka-cluster:CreateTopic', 'kafka-cluster:DescribeTopic', 'kafka-cluster:AlterTopic'],
        Resource: [`${MSK}:topic/${CLUSTER_PATH}/orders`, `${MSK}:topic/${CLUSTER_PATH}/orders.checkpoints`],
      },
    ]);
  });

  test('the deploy-time lookup may read this cluster\'s bootstrap brokers only', () => {
    const { template } = pipeline({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() });
    const role = logicalIdOf(template, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp('AwsCustomResource singleton') });
    expect(kafkaStatements(template, role, 'kafka:')).toEqual([{ Effect: 'Allow', Action: 'kafka:GetBootstrapBrokers', Resource: CLUSTER_ARN }]);
    // The singleton function runs with that role, in no VPC.
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Role: { 'Fn::GetAtt': [role, 'Arn'] } } }));
    expect(fn).toHaveLength(1);
  });
});

describe('SCRAM and mutual TLS: GetSecretValue on that secret only, and its key', () => {
  test.each<[string, (s: secretsmanager.ISecret) => KafkaAuth]>([
    ['SCRAM', (s) => KafkaAuth.scram(s)],
    ['mutual TLS', (s) => KafkaAuth.mutualTls(s)],
  ])('%s', (_name, auth) => {
    const { template, processorRole } = pipeline((stack) => {
      const secret = new secretsmanager.Secret(stack, 'KafkaCredentials', { secretName: 'AmazonMSK_orders', encryptionKey: new kms.Key(stack, 'SecretKey') });
      return { topic: 'orders', brokers: ['kafka-1.example.internal:9096'], auth: auth(secret) };
    });
    const statements = statementsOfRole(template, processorRole);
    expect(statements.filter((s) => [s.Resource].flat().some((r: any) => JSON.stringify(r).includes('KafkaCredentials')))).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: expect.stringMatching(/^KafkaCredentials/) } },
    ]);
    expect(statements.filter((s) => JSON.stringify(s.Resource).includes('SecretKey'))).toEqual([{
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SecretKey/), 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    }]);
    expect(kafkaStatements(template, processorRole)).toEqual([]);
  });

  test('a secret imported by its partial ARN is granted with Secrets Manager\'s six-character suffix', () => {
    const { template, processorRole } = pipeline((stack) => ({
      topic: 'orders',
      brokers: ['kafka-1.example.internal:9096'],
      auth: KafkaAuth.scram(secretsmanager.Secret.fromSecretPartialArn(stack, 'S', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:kafka-orders')),
    }));
    expect(statementsOfRole(template, processorRole).filter((s) => JSON.stringify(s.Resource).includes('kafka-orders'))).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:kafka-orders-??????' },
    ]);
  });
});

describe('security groups: only the processor\'s group reaches the broker port of its authentication', () => {
  const ingressTo = (t: Template, group: unknown) => Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))
    .map((r: any) => r.Properties).filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(group));

  test.each<[string, number, () => KafkaCluster, (() => KafkaAuth) | undefined]>([
    ['IAM (default on MSK)', 9098, () => KafkaCluster.mskProvisioned(), undefined],
    ['SCRAM', 9096, () => KafkaCluster.mskProvisioned(),
      () => KafkaAuth.scram(secretsmanager.Secret.fromSecretCompleteArn(new Stack(), 'S', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:AmazonMSK_o-AbCdEf'))],
    ['TLS', 9094, () => KafkaCluster.mskProvisioned(), () => KafkaAuth.tls()],
    ['mutual TLS', 9094, () => KafkaCluster.mskProvisioned({ certificateAuthorityArns: ['arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/1'] }),
      () => KafkaAuth.mutualTls(secretsmanager.Secret.fromSecretCompleteArn(new Stack(), 'S', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:c-AbCdEf'))],
    ['MSK Serverless', 9098, () => KafkaCluster.mskServerless(), undefined],
  ])('%s: port %d, from the processor and the topic creation only', (_name, port, cluster, auth) => {
    const { template, processorSg } = pipeline({ topic: 'orders', cluster: cluster(), auth: auth?.() });
    const brokersSg = logicalIdOf(template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('MSK brokers') });
    const topicsSg = logicalIdOf(template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('deploy-time topic creation') });
    expect(ingressTo(template, { 'Fn::GetAtt': [brokersSg, 'GroupId'] }).map((p) => [p.SourceSecurityGroupId['Fn::GetAtt'][0], p.FromPort, p.ToPort]).sort())
      .toEqual([[processorSg, port, port], [topicsSg, port, port]].sort());
  });

  test('brokers you bring with their security group: the ports of the broker list', () => {
    const { template, processorSg } = pipeline((stack) => ({
      topic: 'orders',
      cluster: KafkaCluster.fromBootstrapBrokers({
        bootstrapBrokers: ['kafka-1.example.internal:9093', 'kafka-2.example.internal:9093', 'kafka-3.example.internal:19093'],
        securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Brokers', 'sg-0123456789abcdef0'),
      }),
    }));
    expect(ingressTo(template, 'sg-0123456789abcdef0').map((p) => [p.SourceSecurityGroupId['Fn::GetAtt'][0], p.FromPort, p.ToPort]))
      .toEqual([[processorSg, 9093, 9093], [processorSg, 19093, 19093]]);
  });

  test('brokers you bring without a security group: no rule is added anywhere', () => {
    const base = pipeline({ topic: 'orders', brokers: ['kafka-1.example.internal:9093'] }).template;
    expect(Object.values(base.findResources('AWS::EC2::SecurityGroupIngress')).filter((r: any) => [9093].includes(r.Properties.FromPort))).toEqual([]);
  });
});

describe('the sink configuration the processor receives', () => {
  const sinksOf = (env: Array<{ Name: string; Value: unknown }>) => JSON.parse(evaluate(env.find((e) => e.Name === 'PIPELINE_SINKS')!.Value));

  test('Batch: the created cluster\'s brokers, resolved at deploy time, as a JSON list', () => {
    const { template } = pipeline({ topic: 'orders', cluster: KafkaCluster.mskProvisioned(), checkpointEvery: 10_000 });
    const job = Object.values(template.findResources('AWS::Batch::JobDefinition'))[0] as any;
    const [sink] = sinksOf(job.Properties.ContainerProperties.Environment);
    expect(sink.brokers).toEqual(IAM_BROKERS.split(','));
    expect(sink.auth).toEqual({ mechanism: 'iam', region: 'eu-west-1' });
    expect(sink.checkpointEvery).toBe(10_000);
    expect(kafkaSinkConfigProblems(sink)).toEqual([]);
  });

  test('Fargate: the same, in the container\'s environment', () => {
    const { template } = pipeline({ topic: 'orders', cluster: KafkaCluster.mskServerless() }, Processor.fargate());
    const task = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0] as any;
    const [sink] = sinksOf(task.Properties.ContainerDefinitions[0].Environment);
    expect(sink.brokers).toEqual(IAM_BROKERS.split(','));
    expect(kafkaSinkConfigProblems(sink)).toEqual([]);
  });

  test('an environment-agnostic stack: the region is the stack\'s, at deploy time', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new CdkPipeline(stack, 'Pipeline', { processor: Processor.batch({ spot: true }), sinks: [Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() })] });
    const job = Object.values(Template.fromStack(stack).findResources('AWS::Batch::JobDefinition'))[0] as any;
    const value = job.Properties.ContainerProperties.Environment.find((e: any) => e.Name === 'PIPELINE_SINKS').Value;
    expect(JSON.stringify(value)).toContain('{"Ref":"AWS::Region"}');
  });

  test('the zip Lambda processor, which takes the configuration as a file written at synth, is refused for a created cluster', () => {
    expect(() => pipeline({ topic: 'orders', cluster: KafkaCluster.mskProvisioned() }, Processor.lambdaZip()))
      .toThrow(/^Sink\.kafka\(\): topic "orders": its configuration holds values known only at deploy time .* Processor\.lambdaZip\(\) takes the sink configuration as a file written at synth: use Processor\.lambdaContainer\(\)/);
  });

  test('the zip Lambda processor with a SCRAM secret of this app (its ARN a token) is refused too; by its literal ARN, accepted', () => {
    const scram = (stack: Stack, literal: boolean) => KafkaAuth.scram(literal
      ? secretsmanager.Secret.fromSecretCompleteArn(stack, 'S', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:kafka-AbCdEf')
      : new secretsmanager.Secret(stack, 'S'));
    expect(() => pipeline((stack) => ({ topic: 'orders', brokers: ['kafka-1.example.internal:9096'], auth: scram(stack, false) }), Processor.lambdaZip()))
      .toThrow(/values known only at deploy time/);
    expect(() => pipeline((stack) => ({ topic: 'orders', brokers: ['kafka-1.example.internal:9096'], auth: scram(stack, true) }), Processor.lambdaZip()))
      .not.toThrow();
  });

  test('the zip Lambda processor with brokers you bring: accepted (nothing deploy-time in the file)', () => {
    expect(() => pipeline({ topic: 'orders', brokers: ['kafka-1.example.internal:9093'] }, Processor.lambdaZip())).not.toThrow();
  });
});
