/**
 * The deploy-time topic creation's handler (src/kafka/topic/create-topics.lambda.ts)
 * against the real Kafka 4.1 broker globalSetup starts (TLS, SCRAM and
 * mutual TLS listeners), with its credentials in moto's Secrets Manager.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigResourceTypes } from 'kafkajs';
import { handler } from '../../src/kafka/topic/create-topics.lambda';
import { TOPIC_ENV, TopicSpec } from '../../src/kafka/topic/topic-settings';
import { withAdmin } from '../runtime/kafka/kafka-helpers';
import { KafkaListener, testKafka } from '../support/kafka-broker';
import { motoClientConfig, motoEndpoint, uniqueName } from '../support/moto';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function setEnv(listener: KafkaListener, auth: string, topics: TopicSpec[], extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    [TOPIC_ENV.BROKERS]: testKafka().brokers[listener],
    [TOPIC_ENV.AUTH]: auth,
    [TOPIC_ENV.TOPICS]: JSON.stringify(topics),
    [TOPIC_ENV.CA_PEM]: testKafka().caPem,
    // The handler's Secrets Manager client, as in Lambda, configured by the environment only.
    AWS_ENDPOINT_URL_SECRETS_MANAGER: motoEndpoint(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    ...extra,
  });
  delete process.env.AWS_PROFILE;
}

async function secret(value: Record<string, string>): Promise<string> {
  const out = await new SecretsManagerClient(motoClientConfig()).send(new CreateSecretCommand({ Name: uniqueName('kafka'), SecretString: JSON.stringify(value) }));
  return out.ARN!;
}

const specs = (topic: string, partitions = 1): TopicSpec[] => [
  { name: topic, partitions, replicationFactor: 1, configs: {} },
  { name: `${topic}.checkpoints`, partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
];

test('TLS: creates the topic and its compacted checkpoint topic, then leaves them alone, then grows the topic', async () => {
  const topic = uniqueName('orders');
  setEnv('tls', 'tls', specs(topic));
  expect(await handler()).toEqual({ created: [topic, `${topic}.checkpoints`], grown: [], unchanged: [] });

  const described = await withAdmin(async (admin) => ({
    meta: await admin.fetchTopicMetadata({ topics: [topic, `${topic}.checkpoints`] }),
    configs: await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: `${topic}.checkpoints`, configNames: ['cleanup.policy'] }],
    }),
  }));
  expect(described.meta.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([[topic, 1], [`${topic}.checkpoints`, 1]]);
  expect(described.configs.resources[0].configEntries.map((e) => [e.configName, e.configValue])).toEqual([['cleanup.policy', 'compact']]);

  // A second deployment with the same settings changes nothing.
  expect(await handler()).toEqual({ created: [], grown: [], unchanged: [topic, `${topic}.checkpoints`] });

  // More partitions asked: the topic grows (never shrinks).
  setEnv('tls', 'tls', specs(topic, 3));
  expect(await handler()).toEqual({ created: [], grown: [topic], unchanged: [`${topic}.checkpoints`] });
  const partitions = await withAdmin(async (admin) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length);
  expect(partitions).toBe(3);
});

test('SCRAM-SHA-512 with the credentials from Secrets Manager', async () => {
  const topic = uniqueName('scram');
  const arn = await secret({ username: testKafka().scramUser, password: testKafka().scramPassword });
  setEnv('scram', 'scram-sha-512', specs(topic), { [TOPIC_ENV.SECRET_ARN]: arn });
  expect((await handler()).created).toEqual([topic, `${topic}.checkpoints`]);
});

test('mutual TLS with the client certificate from Secrets Manager', async () => {
  const topic = uniqueName('mtls');
  const arn = await secret({ certificate: testKafka().clientCertPem, privateKey: testKafka().clientKeyPem });
  setEnv('mtls', 'mtls', specs(topic), { [TOPIC_ENV.SECRET_ARN]: arn });
  expect((await handler()).created).toEqual([topic, `${topic}.checkpoints`]);
});

test('wrong SCRAM credentials fail the deployment with the broker\'s reason', async () => {
  const arn = await secret({ username: testKafka().scramUser, password: 'wrong' });
  setEnv('scram', 'scram-sha-512', specs(uniqueName('denied')), { [TOPIC_ENV.SECRET_ARN]: arn });
  await expect(handler()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed|Authentication failed/i);
});

test.each<[string, Record<string, string | undefined>, RegExp]>([
  ['no brokers', { [TOPIC_ENV.BROKERS]: '' }, /Environment variable KAFKA_BOOTSTRAP_BROKERS is not set/],
  ['an unknown mechanism', { [TOPIC_ENV.AUTH]: 'plaintext' }, /KAFKA_AUTH "plaintext" is not one of iam, scram-sha-512, mtls, tls/],
  ['SCRAM without its secret', { [TOPIC_ENV.AUTH]: 'scram-sha-512' }, /Environment variable KAFKA_SECRET_ARN is not set/],
])('refuses %s', async (_name, env, message) => {
  setEnv('tls', 'tls', specs(uniqueName('bad')), env as Record<string, string>);
  await expect(handler()).rejects.toThrow(message);
});
