/**
 * Synth-time checks of `Sink.kafka()`'s options; each problem names the
 * option and the value, in the words of the option's TSDoc.
 */
import { bootstrapBrokerProblems } from './kafka-cluster';
import type { KafkaSinkOptions } from '../sink/kafka-sink';
import { KafkaCompression } from '../sink/kafka-sink';

const TOPIC = /^[a-zA-Z0-9._-]+$/;
/** Printable ASCII without the IAM wildcards `*` and `?` (the ids end up in MSK IAM resource ARNs). */
const ID = /^[!-)+->@-~]{1,200}$/;
const CLIENT_ID = /^[a-zA-Z0-9._-]{1,255}$/;
const CHECKPOINT_SUFFIX = '.checkpoints';

function topicProblem(prop: string, value: unknown, maxLength: number): string | undefined {
  if (typeof value !== 'string' || !TOPIC.test(value)) {
    return `${prop} ${JSON.stringify(value)} must be made of letters, digits, ".", "_" and "-"`;
  }
  if (value.length > maxLength) return `${prop} "${value}" is longer than ${maxLength} characters`;
  if (value === '.' || value === '..') return `${prop} "${value}" is not a valid topic name`;
  if (value.startsWith('__')) return `${prop} "${value}" starts with "__", which Kafka reserves for its internal topics`;
  return undefined;
}

function wholeNumber(prop: string, value: unknown, min: number, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return `${prop} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** Every problem of `o`, in the order of the options. @internal */
export function kafkaSinkProblems(o: KafkaSinkOptions): string[] {
  const problems: Array<string | undefined> = [];
  const explicitCheckpointTopic = o.checkpointTopic !== undefined;
  problems.push(topicProblem('topic', o.topic, explicitCheckpointTopic ? 249 : 249 - CHECKPOINT_SUFFIX.length));
  if (o.brokers !== undefined && o.cluster !== undefined) problems.push('give brokers or cluster, not both');
  else if (o.brokers === undefined && o.cluster === undefined) problems.push('give brokers (host:port list) or cluster');
  else if (o.brokers !== undefined) problems.push(...bootstrapBrokerProblems('brokers', o.brokers));
  if (o.key !== undefined && o.key.columnName !== undefined) {
    const c: unknown = o.key.columnName;
    if (typeof c !== 'string' || c.trim() === '' || c.trim() !== c) {
      problems.push(`key KafkaMessageKey.column(${JSON.stringify(c)}) must name a column: not empty, no leading or trailing white space`);
    }
  }
  for (const prop of ['headers', 'exactlyOnce'] as const) {
    if (o[prop] !== undefined && typeof o[prop] !== 'boolean') problems.push(`${prop} must be true or false, got ${JSON.stringify(o[prop])}`);
  }
  if (o.compression !== undefined && !Object.values(KafkaCompression).includes(o.compression)) {
    problems.push(`compression ${JSON.stringify(o.compression)} must be KafkaCompression.GZIP or KafkaCompression.NONE`);
  }
  problems.push(wholeNumber('checkpointEvery', o.checkpointEvery, 1, 1_000_000));
  if (explicitCheckpointTopic) {
    problems.push(topicProblem('checkpointTopic', o.checkpointTopic, 249));
    if (o.checkpointTopic === o.topic) problems.push(`checkpointTopic "${o.checkpointTopic}" must differ from topic`);
  }
  for (const prop of ['transactionalIdPrefix', 'checkpointGroupId'] as const) {
    const v: unknown = o[prop];
    if (v !== undefined && (typeof v !== 'string' || !ID.test(v))) {
      problems.push(`${prop} ${JSON.stringify(v)} must be 1 to 200 printable ASCII characters without spaces, "*" or "?"`);
    }
  }
  if (o.clientId !== undefined && (typeof o.clientId !== 'string' || !CLIENT_ID.test(o.clientId))) {
    problems.push(`clientId ${JSON.stringify(o.clientId)} must be 1 to 255 letters, digits, ".", "_" and "-"`);
  }
  problems.push(wholeNumber('partitions', o.partitions, 1, 1000));
  problems.push(wholeNumber('replicationFactor', o.replicationFactor, 1, 1000));
  return problems.filter((p): p is string => p !== undefined);
}
