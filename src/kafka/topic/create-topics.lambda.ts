/**
 * Deploy-time topic creation for a Kafka sink on an MSK cluster the
 * construct created: creates the sink's topics that do not exist yet (with
 * their partitions, replicas and configs) and adds partitions to those that
 * have fewer than asked. It never deletes a topic or removes a partition.
 * Invoked synchronously by a CDK trigger; a throw fails the deployment.
 * Settings come from the environment (see topic-settings.ts).
 */
/* eslint-disable import/no-extraneous-dependencies -- bundled into assets/ by esbuild, never installed by users */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, KafkaConfig, logLevel } from 'kafkajs';
/* eslint-enable import/no-extraneous-dependencies */
import { TOPIC_ENV, TopicSpec } from './topic-settings';

export interface CreateTopicsResult {
  readonly created: string[];
  readonly grown: string[];
  readonly unchanged: string[];
}

export async function handler(): Promise<CreateTopicsResult> {
  const env = process.env;
  const brokers = required(TOPIC_ENV.BROKERS).split(',').map((b) => b.trim()).filter((b) => b !== '');
  const topics = JSON.parse(required(TOPIC_ENV.TOPICS)) as TopicSpec[];
  const kafka = new Kafka({
    clientId: 'cdk-data-pipeline-create-topics',
    brokers,
    logLevel: logLevel.WARN,
    ...await authentication(required(TOPIC_ENV.AUTH), env[TOPIC_ENV.SECRET_ARN], env[TOPIC_ENV.CA_PEM]),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor ?? -1,
          configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const present = topics.filter((t) => existing.has(t.name));
    const grown: string[] = [];
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
      const counts = new Map(metadata.topics.map((m) => [m.name, m.partitions.length]));
      const toGrow = present.filter((t) => (counts.get(t.name) ?? 0) < t.partitions);
      if (toGrow.length > 0) {
        await admin.createPartitions({ topicPartitions: toGrow.map((t) => ({ topic: t.name, count: t.partitions })) });
        grown.push(...toGrow.map((t) => t.name));
      }
    }
    const result = {
      created: missing.map((t) => t.name),
      grown,
      unchanged: present.map((t) => t.name).filter((n) => !grown.includes(n)),
    };
    console.log(JSON.stringify({ message: 'Kafka topics ready', ...result }));
    return result;
  } finally {
    await admin.disconnect();
  }
}

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}

/** The kafkajs `ssl`/`sasl` settings of a mechanism (MSK always uses TLS); a given CA replaces the system's. */
async function authentication(mechanism: string, secretArn: string | undefined, caPem: string | undefined): Promise<Pick<KafkaConfig, 'ssl' | 'sasl'>> {
  const ssl = caPem ? { ca: [caPem] } : true;
  switch (mechanism) {
    case 'iam': {
      const region = required('AWS_REGION');
      return {
        ssl: true,
        sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }) },
      };
    }
    case 'scram-sha-512': {
      const { username, password } = await secretJson(secretArn, ['username', 'password']);
      return { ssl, sasl: { mechanism: 'scram-sha-512', username, password } };
    }
    case 'mtls': {
      const { certificate, privateKey } = await secretJson(secretArn, ['certificate', 'privateKey']);
      return { ssl: { ...(caPem ? { ca: [caPem] } : {}), cert: certificate, key: privateKey } };
    }
    case 'tls':
      return { ssl };
    default:
      throw new Error(`${TOPIC_ENV.AUTH} "${mechanism}" is not one of iam, scram-sha-512, mtls, tls`);
  }
}

async function secretJson(secretArn: string | undefined, fields: string[]): Promise<Record<string, string>> {
  if (!secretArn) throw new Error(`Environment variable ${TOPIC_ENV.SECRET_ARN} is not set`);
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  const value = JSON.parse(out.SecretString ?? '{}') as Record<string, unknown>;
  for (const f of fields) {
    if (typeof value[f] !== 'string') throw new Error(`The secret ${secretArn} has no string "${f}"`);
  }
  return value as Record<string, string>;
}
