/**
 * A Kafka sink configuration checked and completed with its defaults. The
 * CLI checks `--config` files with the same function, so a configuration it
 * accepts is one the processor accepts.
 */
import type { KafkaSinkConfig } from '../../shared/kafka-sink-config';
import { ConfigError } from '../contract/config';

/** `KafkaSinkConfig` with every default filled in. */
export interface KafkaSettings {
  readonly topic: string;
  readonly brokers: readonly string[];
  readonly auth: KafkaSinkConfig['auth'];
  readonly keyColumn?: string;
  readonly headers: boolean;
  readonly gzip: boolean;
  readonly exactlyOnce: boolean;
  readonly checkpointTopic: string;
  readonly transactionalIdPrefix: string;
  readonly checkpointGroupId: string;
  readonly checkpointEvery: number;
  readonly clientId: string;
}

/** Rows per Kafka transaction (or at-least-once checkpoint) unless `checkpointEvery` says otherwise (the original design's interval). */
export const DEFAULT_KAFKA_CHECKPOINT_EVERY = 10_000;
const MECHANISMS = ['plaintext', 'tls', 'scram-sha-512', 'iam', 'mtls'];
const KEYS = ['kind', 'topic', 'brokers', 'auth', 'key', 'headers', 'compression', 'exactlyOnce', 'checkpointTopic',
  'transactionalIdPrefix', 'checkpointGroupId', 'checkpointEvery', 'clientId'];
/** Kafka's own rule for topic names. */
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/** What is wrong with the configuration, each as `<path> <problem>`; empty when nothing is. */
export function kafkaSinkConfigProblems(config: KafkaSinkConfig): string[] {
  const c = config as unknown as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(c).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) problems.push(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (a Kafka sink has ${KEYS.join(', ')})`);
  if (typeof c.topic !== 'string' || !TOPIC.test(c.topic)) problems.push(`topic ${JSON.stringify(c.topic)} must be a Kafka topic name (letters, digits, ".", "_", "-")`);
  if (!Array.isArray(c.brokers) || c.brokers.length === 0) {
    problems.push(`brokers ${JSON.stringify(c.brokers)} must be a non-empty list of "host:port"`);
  } else {
    c.brokers.forEach((b, i) => {
      if (typeof b !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(b)) problems.push(`brokers[${i}] ${JSON.stringify(b)} must be "host:port"`);
    });
  }
  const auth = c.auth as Record<string, unknown> | undefined;
  if (typeof auth !== 'object' || auth === null || !MECHANISMS.includes(auth.mechanism as string)) {
    problems.push(`auth.mechanism ${JSON.stringify(auth?.mechanism)} must be one of ${MECHANISMS.join(', ')}`);
  } else if ((auth.mechanism === 'scram-sha-512' || auth.mechanism === 'mtls') && (typeof auth.secretArn !== 'string' || auth.secretArn === '')) {
    problems.push(`auth.secretArn must name the Secrets Manager secret of ${auth.mechanism}`);
  } else if (auth.mechanism === 'iam' && (typeof auth.region !== 'string' || auth.region === '')) {
    problems.push('auth.region must be the region of the MSK cluster');
  }
  const key = c.key as Record<string, unknown> | undefined;
  if (key !== undefined && !(typeof key === 'object' && key !== null && ((typeof key.column === 'string' && key.column !== '') || key.fileAndLine === true))) {
    problems.push(`key ${JSON.stringify(key)} must be {"column": "<name>"} or {"fileAndLine": true}`);
  }
  for (const flag of ['headers', 'exactlyOnce'] as const) {
    if (c[flag] !== undefined && typeof c[flag] !== 'boolean') problems.push(`${flag} ${JSON.stringify(c[flag])} must be true or false`);
  }
  if (c.compression !== undefined && c.compression !== 'gzip' && c.compression !== 'none') problems.push(`compression ${JSON.stringify(c.compression)} must be "gzip" or "none"`);
  if (c.checkpointEvery !== undefined && !(Number.isInteger(c.checkpointEvery) && (c.checkpointEvery as number) >= 1)) {
    problems.push(`checkpointEvery ${JSON.stringify(c.checkpointEvery)} must be a whole number of rows, at least 1`);
  }
  if (c.checkpointTopic !== undefined && (typeof c.checkpointTopic !== 'string' || !TOPIC.test(c.checkpointTopic))) {
    problems.push(`checkpointTopic ${JSON.stringify(c.checkpointTopic)} must be a Kafka topic name`);
  }
  for (const name of ['transactionalIdPrefix', 'checkpointGroupId', 'clientId'] as const) {
    if (c[name] !== undefined && (typeof c[name] !== 'string' || c[name] === '')) problems.push(`${name} ${JSON.stringify(c[name])} must be a non-empty string`);
  }
  return problems;
}

/** The configuration with its defaults; a `ConfigError` listing every problem when it has any. */
export function kafkaSettings(config: KafkaSinkConfig): KafkaSettings {
  const problems = kafkaSinkConfigProblems(config);
  if (problems.length > 0) throw new ConfigError(`Kafka sink: ${problems.join('; ')}`);
  const transactionalIdPrefix = config.transactionalIdPrefix ?? `cdk-data-pipeline.${config.topic}.`;
  const key = config.key as { column?: string } | undefined;
  return {
    topic: config.topic,
    brokers: config.brokers,
    auth: config.auth,
    ...(key?.column !== undefined ? { keyColumn: key.column } : {}),
    headers: config.headers ?? true,
    gzip: (config.compression ?? 'gzip') === 'gzip',
    exactlyOnce: config.exactlyOnce ?? true,
    checkpointTopic: config.checkpointTopic ?? `${config.topic}.checkpoints`,
    transactionalIdPrefix,
    checkpointGroupId: config.checkpointGroupId ?? `${transactionalIdPrefix}checkpoints`,
    checkpointEvery: config.checkpointEvery ?? DEFAULT_KAFKA_CHECKPOINT_EVERY,
    clientId: config.clientId ?? 'cdk-data-pipeline',
  };
}
