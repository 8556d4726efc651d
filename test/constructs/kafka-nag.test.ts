import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { CdkPipeline, KafkaAuth, KafkaCluster, MskProvisionedCluster, Processor, Sink } from '../../src';
import { kafkaNagAcknowledgments } from '../../src/kafka/kafka-acknowledgments';
import { DISABLE_ACKNOWLEDGMENTS_CONTEXT } from '../../src/nag-acknowledgments';

const PACKS: Array<() => NagPack> = [
  () => new AwsSolutionsChecks(), () => new HIPAASecurityChecks(), () => new NIST80053R5Checks(),
  () => new PCIDSS321Checks(), () => new ServerlessChecks(),
];

const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:111111111111:cluster/orders/5c0ffee0-1234-5678-9abc-def012345678-7';

/** Pipelines with a Kafka sink: every kind of cluster, several authentications and processors. */
const VARIANTS: Array<[string, (stack: Stack) => { processor: Processor; sinks: Sink[] }]> = [
  ['Batch -> provisioned MSK, IAM, exactly once', () => ({
    processor: Processor.batch({ spot: true }), sinks: [Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskProvisioned(), checkpointEvery: 10_000 })],
  })],
  ['Fargate -> MSK Serverless, at least once', () => ({
    processor: Processor.fargate(), sinks: [Sink.kafka({ topic: 'orders', cluster: KafkaCluster.mskServerless(), exactlyOnce: false })],
  })],
  ['Batch -> provisioned MSK, SCRAM and IAM sinks sharing it', (stack) => {
    const cluster = KafkaCluster.mskProvisioned();
    const secret = new secretsmanager.Secret(stack, 'Scram', { secretName: 'AmazonMSK_orders', encryptionKey: new kms.Key(stack, 'ScramKey', { enableKeyRotation: true }) });
    return {
      processor: Processor.batch({ spot: true }),
      sinks: [Sink.kafka({ topic: 'orders', cluster, auth: KafkaAuth.scram(secret) }), Sink.kafka({ topic: 'refunds', cluster })],
    };
  }],
  ['Lambda -> existing MSK cluster by ARN, IAM', (stack) => ({
    processor: Processor.lambdaZip(),
    sinks: [Sink.kafka({
      topic: 'orders',
      auth: KafkaAuth.iam(),
      cluster: KafkaCluster.fromBootstrapBrokers({
        bootstrapBrokers: ['b-1.orders.x1y2z3.c2.kafka.eu-west-1.amazonaws.com:9098'],
        clusterArn: CLUSTER_ARN,
        securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Brokers', 'sg-0123456789abcdef0'),
      }),
    })],
  })],
  ['Lambda container -> your brokers, TLS', () => ({
    processor: Processor.lambdaContainer(), sinks: [Sink.kafka({ topic: 'orders', brokers: ['kafka-1.example.internal:9094'] })],
  })],
];

function build(variant: (stack: Stack) => { processor: Processor; sinks: Sink[] }, context: Record<string, unknown> = {}) {
  const app = new App({ context });
  const stack = new Stack(app, 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pipeline = new CdkPipeline(stack, 'Pipeline', variant(stack));
  return { app, pipeline };
}

/** Findings as `rule @ path`, but those of the test's own resources (the SCRAM secret is the user's). */
function findings(app: App): string[] {
  return PACKS.flatMap((pack) => pack().validateScope(app).violations
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)))
    .filter((f) => !f.includes(' @ TestStack/Scram/'))
    .sort();
}

describe.each(VARIANTS)('cdk-nag (all five packs) on a pipeline with %s', (_name, variant) => {
  test('zero unacknowledged findings, the MSK rules (MSK2, MSK3, MSK6) included', () => {
    expect(findings(build(variant).app)).toEqual([]);
  });

  test('each Kafka acknowledgment matches a real finding, and with the pipeline\'s own they cover every finding', () => {
    const raw = findings(build(variant, { [DISABLE_ACKNOWLEDGMENTS_CONTEXT]: true }).app);
    const { pipeline } = build(variant);
    const kafka = kafkaNagAcknowledgments(pipeline);
    for (const a of kafka) {
      const path = a.construct.node.path;
      expect({ ack: a.id, path, matched: raw.some((f) => f.startsWith(`${a.id} @ ${path}`)) }).toEqual({ ack: a.id, path, matched: true });
      expect(a.reason.length).toBeGreaterThan(60);
    }
    const acks = [...pipeline.nagAcknowledgments, ...kafka];
    for (const f of raw) {
      const [id, path] = f.split(' @ ');
      expect({ finding: f, covered: acks.some((a) => a.id === id && (path === a.construct.node.path || path.startsWith(`${a.construct.node.path}/`))) })
        .toEqual({ finding: f, covered: true });
    }
  });
});

test('the MSK rules do check the created cluster: without TLS or broker logs it is reported', () => {
  const { app, pipeline } = build(VARIANTS[0][1], { [DISABLE_ACKNOWLEDGMENTS_CONTEXT]: true });
  const rules = () => new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName).filter((r) => r.includes('MSK')).sort();
  expect(rules()).toEqual([]);
  const cluster = pipeline.node.findAll().find((c) => c instanceof MskProvisionedCluster) as MskProvisionedCluster;
  cluster.cfnCluster.loggingInfo = undefined;
  cluster.cfnCluster.encryptionInfo = { encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT', inCluster: false } };
  expect(rules()).toEqual(['AwsSolutions-MSK2', 'AwsSolutions-MSK3', 'AwsSolutions-MSK6']);
});
