import { Fn } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** What the Kafka sink reads and writes on an MSK cluster. @internal */
export interface KafkaSinkResources {
  readonly topic: string;
  readonly checkpointTopic: string;
  readonly checkpointGroupId: string;
  /** The prefix of the per-file transactional ids (both modes: at least once, each checkpoint is a transaction of its own). */
  readonly transactionalIdPrefix: string;
  /**
   * Whether the processor creates the checkpoint topic when it is missing
   * (the runtime does on brokers the construct does not own; on a cluster
   * it creates, the deploy-time step has created it).
   */
  readonly createsCheckpointTopic?: boolean;
}

/**
 * The ARN of a topic, group or transactional id of the MSK cluster
 * `clusterArn` (`arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`):
 * `arn:<partition>:kafka:<region>:<account>:<kind>/<name>/<uuid>/<resource>`.
 * Works on a literal ARN and on a token alike (Fn.split folds literals).
 *
 * @internal
 */
export function mskResourceArn(clusterArn: string, kind: 'topic' | 'group' | 'transactional-id', resource: string): string {
  const parts = Fn.split(':', clusterArn);
  const path = Fn.split('/', Fn.select(5, parts));
  return Fn.join('', [
    'arn:', Fn.select(1, parts), ':kafka:', Fn.select(3, parts), ':', Fn.select(4, parts), ':',
    kind, '/', Fn.select(1, path), '/', Fn.select(2, path), '/', resource,
  ]);
}

/**
 * The wildcard ARNs of the names the runtime derives per file version:
 * transactional ids `<prefix><hash>` and checkpoint groups
 * `<checkpointGroupId>.<hash>` (src/runtime/kafka/checkpoint-store.ts).
 *
 * @internal
 */
export function kafkaPerFileArns(clusterArn: string, r: KafkaSinkResources): { transactionalIds: string; checkpointGroups: string } {
  return {
    transactionalIds: mskResourceArn(clusterArn, 'transactional-id', `${r.transactionalIdPrefix}*`),
    checkpointGroups: mskResourceArn(clusterArn, 'group', `${r.checkpointGroupId}.*`),
  };
}

/**
 * MSK IAM statements of the processor: connect to this cluster, write the
 * topic idempotently, write and read the checkpoint topic with its own
 * groups (and create it, on a cluster the construct does not own), and use
 * transactional ids under the sink's prefix.
 * No `Sid`s: several Kafka sinks add theirs to the same processor policy.
 *
 * @internal
 */
export function kafkaProducerStatements(clusterArn: string, r: KafkaSinkResources): iam.PolicyStatement[] {
  const topics = [r.topic, r.checkpointTopic].map((t) => mskResourceArn(clusterArn, 'topic', t));
  const perFile = kafkaPerFileArns(clusterArn, r);
  const statements = [
    new iam.PolicyStatement({
      // WriteDataIdempotently: the producer is idempotent (acks all, ordered).
      actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
      resources: [clusterArn],
    }),
    new iam.PolicyStatement({
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      resources: topics,
    }),
    new iam.PolicyStatement({
      // The checkpoints are read back as committed offsets on the checkpoint topic.
      actions: ['kafka-cluster:ReadData'],
      resources: [topics[1]],
    }),
    new iam.PolicyStatement({
      // One group per file version, `<checkpointGroupId>.<hash>`: its committed offset is the checkpoint.
      actions: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
      resources: [perFile.checkpointGroups],
    }),
  ];
  if (r.createsCheckpointTopic) {
    statements.push(new iam.PolicyStatement({ actions: ['kafka-cluster:CreateTopic'], resources: [topics[1]] }));
  }
  statements.push(new iam.PolicyStatement({
    // One transactional id per file version, `<prefix><hash>`: a restarted processor fences the one it replaces.
    actions: ['kafka-cluster:AlterTransactionalId', 'kafka-cluster:DescribeTransactionalId'],
    resources: [perFile.transactionalIds],
  }));
  return statements;
}

/**
 * MSK IAM statements of the deploy-time topic creation: connect, and
 * create or grow these topics only.
 *
 * @internal
 */
export function kafkaTopicAdminStatements(clusterArn: string, topics: string[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'KafkaConnect',
      actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
      resources: [clusterArn],
    }),
    new iam.PolicyStatement({
      sid: 'KafkaCreateTopics',
      actions: ['kafka-cluster:CreateTopic', 'kafka-cluster:DescribeTopic', 'kafka-cluster:AlterTopic'],
      resources: topics.map((t) => mskResourceArn(clusterArn, 'topic', t)),
    }),
  ];
}

/**
 * MSK IAM statements of a consumer: connect, read `topic` with the group
 * `groupId`.
 *
 * @internal
 */
export function kafkaConsumerStatements(clusterArn: string, topic: string, groupId: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'], resources: [clusterArn] }),
    new iam.PolicyStatement({ actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], resources: [mskResourceArn(clusterArn, 'topic', topic)] }),
    new iam.PolicyStatement({ actions: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'], resources: [mskResourceArn(clusterArn, 'group', groupId)] }),
  ];
}
