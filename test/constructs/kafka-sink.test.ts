import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { KafkaAuth, KafkaCluster, KafkaCompression, KafkaMessageKey, KafkaSinkOptions, Sink } from '../../src';
import { kafkaSinkConfigProblems } from '../../src/runtime/kafka/settings';
import type { KafkaSinkConfig } from '../../src/shared/kafka-sink-config';

/** Binds a Kafka sink in a bare stack and returns the runtime JSON it produces. */
function configOf(options: KafkaSinkOptions): KafkaSinkConfig {
  const stack = new Stack(undefined, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc');
  const bound = Sink.kafka(options).bind(stack, {
    vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, encryptionKey: new kms.Key(stack, 'Key'), removalPolicy: 'retain' as any,
  });
  expect(bound.kind).toBe('kafka');
  expect(bound.usesDatabase).toBe(false);
  const config = JSON.parse(bound.json);
  // What the construct writes is what the runtime (and the CLI) accepts.
  expect(kafkaSinkConfigProblems(config)).toEqual([]);
  return config;
}

const BROKERS = ['kafka-1.example.internal:9093', 'kafka-2.example.internal:9093'];

describe('Sink.kafka() runtime configuration (src/shared/kafka-sink-config.ts)', () => {
  test('defaults: TLS, key = file and line, headers, gzip, exactly once, derived checkpoint names, 10,000 rows per chunk', () => {
    expect(configOf({ topic: 'orders', brokers: BROKERS })).toEqual({
      kind: 'kafka',
      topic: 'orders',
      brokers: BROKERS,
      auth: { mechanism: 'tls' },
      key: { fileAndLine: true },
      headers: true,
      compression: 'gzip',
      exactlyOnce: true,
      checkpointTopic: 'orders.checkpoints',
      transactionalIdPrefix: 'cdk-data-pipeline.orders.',
      checkpointGroupId: 'cdk-data-pipeline.orders.checkpoints',
      checkpointEvery: 10000,
      clientId: 'cdk-data-pipeline',
    });
  });

  test('every option is carried as given', () => {
    expect(configOf({
      topic: 'orders',
      brokers: BROKERS,
      auth: KafkaAuth.tls({ caPem: '-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----\n' }),
      key: KafkaMessageKey.column('order_id'),
      headers: false,
      compression: KafkaCompression.NONE,
      exactlyOnce: false,
      checkpointEvery: 500,
      checkpointTopic: 'orders-progress',
      transactionalIdPrefix: 'etl/orders/',
      checkpointGroupId: 'etl-orders-progress',
      clientId: 'orders-loader',
    })).toEqual({
      kind: 'kafka',
      topic: 'orders',
      brokers: BROKERS,
      auth: { mechanism: 'tls', caPem: '-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----\n' },
      key: { column: 'order_id' },
      headers: false,
      compression: 'none',
      exactlyOnce: false,
      checkpointTopic: 'orders-progress',
      transactionalIdPrefix: 'etl/orders/',
      checkpointGroupId: 'etl-orders-progress',
      checkpointEvery: 500,
      clientId: 'orders-loader',
    });
  });

  test('the checkpoint group follows a custom transactional-id prefix', () => {
    const c = configOf({ topic: 'orders', brokers: BROKERS, transactionalIdPrefix: 'p.' });
    expect([c.transactionalIdPrefix, c.checkpointGroupId]).toEqual(['p.', 'p.checkpoints']);
  });

  test.each<[string, () => KafkaAuth, object]>([
    ['plaintext', () => KafkaAuth.plaintext(), { mechanism: 'plaintext' }],
    ['SCRAM', () => KafkaAuth.scram(secretsmanager.Secret.fromSecretCompleteArn(new Stack(), 'S',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:AmazonMSK_orders-AbCdEf')),
    { mechanism: 'scram-sha-512', secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:AmazonMSK_orders-AbCdEf' }],
    ['mutual TLS', () => KafkaAuth.mutualTls(secretsmanager.Secret.fromSecretCompleteArn(new Stack(), 'S',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:orders-client-AbCdEf'), { caPem: 'PEM' }),
    { mechanism: 'mtls', secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:orders-client-AbCdEf', caPem: 'PEM' }],
  ])('auth %s', (_name, auth, expected) => {
    expect(configOf({ topic: 'orders', brokers: ['localhost:9092'], auth: auth() }).auth).toEqual(expected);
  });

  test('IAM on an existing MSK cluster takes the region from its ARN', () => {
    const c = configOf({
      topic: 'orders',
      cluster: KafkaCluster.fromBootstrapBrokers({
        bootstrapBrokers: ['b-1.orders.abc123.c2.kafka.us-east-2.amazonaws.com:9098'],
        clusterArn: 'arn:aws:kafka:us-east-2:222222222222:cluster/orders/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab-2',
      }),
      auth: KafkaAuth.iam(),
    });
    expect(c.auth).toEqual({ mechanism: 'iam', region: 'us-east-2' });
    expect(c.brokers).toEqual(['b-1.orders.abc123.c2.kafka.us-east-2.amazonaws.com:9098']);
  });
});

describe('Sink.kafka() validation (synth time, naming the option)', () => {
  const secret = () => secretsmanager.Secret.fromSecretCompleteArn(new Stack(), 'S', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:s-AbCdEf');
  test.each<[string, KafkaSinkOptions, RegExp]>([
    ['a topic with a space', { topic: 'my orders', brokers: BROKERS }, /^Sink\.kafka\(\): topic "my orders" must be made of letters, digits, "\.", "_" and "-"$/],
    ['an empty topic', { topic: '', brokers: BROKERS }, /^Sink\.kafka\(\): topic "" must be made of/],
    ['a topic too long for its checkpoint topic', { topic: 'a'.repeat(238), brokers: BROKERS }, /topic "a{238}" is longer than 237 characters/],
    ['a topic of 249 with its own checkpoint topic is fine, 250 is not', { topic: 'a'.repeat(250), brokers: BROKERS, checkpointTopic: 'cp' }, /topic "a{250}" is longer than 249 characters/],
    ['an internal topic', { topic: '__consumer_offsets', brokers: BROKERS }, /topic "__consumer_offsets" starts with "__", which Kafka reserves/],
    ['"."', { topic: '.', brokers: BROKERS }, /topic "\." is not a valid topic name/],
    ['neither brokers nor cluster', { topic: 'orders' }, /^Sink\.kafka\(\): give brokers \(host:port list\) or cluster$/],
    ['both brokers and cluster', { topic: 'orders', brokers: BROKERS, cluster: KafkaCluster.mskServerless() }, /give brokers or cluster, not both/],
    ['no brokers', { topic: 'orders', brokers: [] }, /brokers must list at least one broker as "host:port"/],
    ['a broker without a port', { topic: 'orders', brokers: ['kafka-1:9092', 'kafka-2'] }, /brokers\[1\] "kafka-2" must be "host:port" \(a port from 1 to 65535\)/],
    ['an IPv6 broker (the runtime takes host names and IPv4 addresses)', { topic: 'orders', brokers: ['[::1]:9092'] }, /brokers\[0\] "\[::1\]:9092" must be "host:port"/],
    ['a broker with port 0', { topic: 'orders', brokers: ['kafka-1:0'] }, /brokers\[0\] "kafka-1:0" must be "host:port"/],
    ['a broker twice', { topic: 'orders', brokers: ['k:9092', 'k:9092'] }, /brokers\[1\] "k:9092" is listed twice/],
    ['an empty key column', { topic: 'orders', brokers: BROKERS, key: KafkaMessageKey.column(' ') }, /key KafkaMessageKey\.column\(" "\) must name a column/],
    ['checkpointEvery 0', { topic: 'orders', brokers: BROKERS, checkpointEvery: 0 }, /checkpointEvery must be a whole number from 1 to 1,000,000, got 0/],
    ['checkpointEvery 1.5', { topic: 'orders', brokers: BROKERS, checkpointEvery: 1.5 }, /checkpointEvery must be a whole number from 1 to 1,000,000, got 1\.5/],
    ['checkpointEvery too large', { topic: 'orders', brokers: BROKERS, checkpointEvery: 1_000_001 }, /checkpointEvery must be a whole number/],
    ['checkpointTopic = topic', { topic: 'orders', brokers: BROKERS, checkpointTopic: 'orders' }, /checkpointTopic "orders" must differ from topic/],
    ['a bad checkpointTopic', { topic: 'orders', brokers: BROKERS, checkpointTopic: 'orders/cp' }, /checkpointTopic "orders\/cp" must be made of/],
    ['a wildcard in transactionalIdPrefix', { topic: 'orders', brokers: BROKERS, transactionalIdPrefix: 'orders*' }, /transactionalIdPrefix "orders\*" must be 1 to 200 printable ASCII characters without spaces, "\*" or "\?"/],
    ['a space in checkpointGroupId', { topic: 'orders', brokers: BROKERS, checkpointGroupId: 'my group' }, /checkpointGroupId "my group" must be 1 to 200/],
    ['a bad clientId', { topic: 'orders', brokers: BROKERS, clientId: 'a b' }, /clientId "a b" must be 1 to 255 letters/],
    ['a compression not in the enum', { topic: 'orders', brokers: BROKERS, compression: 'snappy' as any }, /compression "snappy" must be KafkaCompression\.GZIP or KafkaCompression\.NONE/],
    ['a non-boolean exactlyOnce', { topic: 'orders', brokers: BROKERS, exactlyOnce: 'yes' as any }, /exactlyOnce must be true or false, got "yes"/],
    ['partitions on brokers the construct does not own', { topic: 'orders', brokers: BROKERS, partitions: 3 }, /partitions applies to the topics the construct creates on an MSK cluster it creates/],
    ['replicationFactor on brokers the construct does not own', { topic: 'orders', brokers: BROKERS, replicationFactor: 3 }, /replicationFactor applies to the topics/],
    ['partitions 0', { topic: 'orders', cluster: KafkaCluster.mskProvisioned(), partitions: 0 }, /partitions must be a whole number from 1 to 1,000, got 0/],
    ['plaintext on an MSK cluster the construct creates', { topic: 'orders', cluster: KafkaCluster.mskProvisioned(), auth: KafkaAuth.plaintext() },
      /^Sink\.kafka\(\): auth KafkaAuth\.plaintext\(\) is refused for Amazon MSK, which the construct configures for TLS only: use KafkaAuth\.iam\(\)$/],
    ['SCRAM on MSK Serverless', { topic: 'orders', cluster: KafkaCluster.mskServerless(), auth: KafkaAuth.scram(secret()) }, /MSK Serverless supports KafkaAuth\.iam\(\) only, not "scram-sha-512"/],
  ])('rejects %s', (_name, options, message) => {
    expect(() => configOf(options)).toThrow(message);
  });

  test('every problem is reported at once', () => {
    expect(() => Sink.kafka({ topic: 'a b', brokers: [], checkpointEvery: -1 }))
      .toThrow(/^Sink\.kafka\(\): topic "a b" .*; brokers must list .*; checkpointEvery must be .*, got -1$/);
  });

  test('the problems are found when Sink.kafka() is called, before any pipeline', () => {
    expect(() => Sink.kafka({ topic: 'a b', brokers: BROKERS })).toThrow(/topic "a b"/);
  });

  test.each<[string, KafkaSinkOptions, RegExp]>([
    ['plaintext on brokers with MSK host names', { topic: 'orders', brokers: ['b-1.orders.abc123.c2.kafka.eu-west-1.amazonaws.com:9092'], auth: KafkaAuth.plaintext() },
      /^Sink\.kafka\(\): topic "orders": auth KafkaAuth\.plaintext\(\) is refused for Amazon MSK brokers/],
    ['plaintext on a cluster given by ARN', {
      topic: 'orders',
      cluster: KafkaCluster.fromBootstrapBrokers({ bootstrapBrokers: ['10.0.0.1:9092'], clusterArn: 'arn:aws:kafka:eu-west-1:111111111111:cluster/c/uuid-1' }),
      auth: KafkaAuth.plaintext(),
    }, /auth KafkaAuth\.plaintext\(\) is refused for Amazon MSK brokers/],
    ['IAM without the cluster ARN', { topic: 'orders', brokers: BROKERS, auth: KafkaAuth.iam() },
      /^Sink\.kafka\(\): topic "orders": auth KafkaAuth\.iam\(\) needs the MSK cluster's ARN, which its policy names: cluster: KafkaCluster\.fromBootstrapBrokers\(\{ bootstrapBrokers, clusterArn \}\)$/],
    ['more replicas than brokers', { topic: 'orders', cluster: KafkaCluster.mskProvisioned(), replicationFactor: 4 }, /replicationFactor 4 is more than the cluster's 3 brokers/],
    ['replicationFactor on MSK Serverless', { topic: 'orders', cluster: KafkaCluster.mskServerless(), replicationFactor: 3 }, /replicationFactor cannot be set on MSK Serverless, which always keeps 3 replicas/],
    ['mutual TLS on a cluster without certificate authorities', { topic: 'orders', cluster: KafkaCluster.mskProvisioned(), auth: KafkaAuth.mutualTls(secret()) },
      /KafkaAuth\.mutualTls\(\) needs certificateAuthorityArns/],
  ])('rejects at bind: %s', (_name, options, message) => {
    expect(() => configOf(options)).toThrow(message);
  });

  test('plaintext is accepted for brokers you bring, when asked', () => {
    expect(configOf({ topic: 'orders', brokers: ['localhost:9092'], auth: KafkaAuth.plaintext() }).auth).toEqual({ mechanism: 'plaintext' });
  });

  test.each<[string, () => unknown, RegExp]>([
    ['a bad cluster ARN', () => KafkaCluster.fromBootstrapBrokers({ bootstrapBrokers: BROKERS, clusterArn: 'arn:aws:s3:::bucket' }),
      /^KafkaCluster\.fromBootstrapBrokers\(\): clusterArn "arn:aws:s3:::bucket" is not an MSK cluster ARN/],
    ['a bad broker', () => KafkaCluster.fromBootstrapBrokers({ bootstrapBrokers: ['no-port'] }),
      /^KafkaCluster\.fromBootstrapBrokers\(\): bootstrapBrokers\[0\] "no-port" must be "host:port"/],
  ])('KafkaCluster.fromBootstrapBrokers() rejects %s', (_name, build, message) => {
    expect(build).toThrow(message);
  });

  test('a sink binds to one pipeline only', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const sink = Sink.kafka({ topic: 'orders', brokers: BROKERS });
    const options = { vpc, vpcSubnets: {}, encryptionKey: new kms.Key(stack, 'Key'), removalPolicy: 'retain' as any };
    sink.bind(stack, options);
    expect(() => sink.bind(stack, options)).toThrow(/topic "orders": this sink is already bound to a pipeline/);
  });
});
