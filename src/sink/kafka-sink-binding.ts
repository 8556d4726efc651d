import { Fn, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct, IConstruct } from 'constructs';
import { KafkaCompression, KafkaSinkOptions } from './kafka-sink';
import type { SinkBindOptions, SinkConfig, SinkProcessorAccess } from './sink';
import type { SinkBinding } from './sink-binding';
import { acknowledgeForPipeline } from '../kafka/kafka-acknowledgments';
import { KafkaAuth, KafkaAuthMechanism } from '../kafka/kafka-auth';
import { KafkaCluster, KafkaClusterConfig } from '../kafka/kafka-cluster';
import { kafkaPerFileArns, kafkaProducerStatements, KafkaSinkResources } from '../kafka/kafka-iam';
import { secretReadStatements } from '../kafka/kafka-secret-grants';
import { kafkaSinkProblems } from '../kafka/kafka-sink-validation';
import { MskProvisionedCluster } from '../kafka/msk-provisioned-cluster';
import { KafkaTopics } from '../kafka/topic/kafka-topics';
import { TopicSpec } from '../kafka/topic/topic-settings';
import { nagResourceString } from '../nag-acknowledgments';
// Through the index, which loads processor.ts first (its variants extend it: see the end of processor.ts).
import { BoundLambdaProcessor } from '../processor';
import type { KafkaAuthConfig, KafkaSinkConfig } from '../shared/kafka-sink-config';

const DEFAULT_CHECKPOINT_EVERY = 10_000;

/**
 * `Sink.kafka()`: checks the options when the sink is made, creates the
 * cluster's part (an MSK cluster, its bootstrap-broker lookup, the topics)
 * when bound, then grants the processor the cluster's port and its MSK IAM
 * or secret permissions.
 */
export class KafkaSinkBinding implements SinkBinding {
  private readonly cluster: KafkaCluster;
  private readonly auth: KafkaAuth;
  private readonly resources: KafkaSinkResources;
  private readonly transactionalIdPrefix: string;
  private bound?: { scope: Construct; cluster: KafkaClusterConfig; json: string };

  constructor(private readonly options: KafkaSinkOptions) {
    const problems = kafkaSinkProblems(options);
    const createsCluster = options.cluster?.createsCluster ?? false;
    const auth = options.auth ?? (createsCluster ? KafkaAuth.iam() : KafkaAuth.tls());
    if (createsCluster && auth.mechanism === KafkaAuthMechanism.PLAINTEXT) {
      problems.push('auth KafkaAuth.plaintext() is refused for Amazon MSK, which the construct configures for TLS only: use KafkaAuth.iam()');
    }
    if (!createsCluster) {
      for (const prop of ['partitions', 'replicationFactor'] as const) {
        if (options[prop] !== undefined) {
          problems.push(`${prop} applies to the topics the construct creates on an MSK cluster it creates (cluster: KafkaCluster.mskProvisioned() or mskServerless())`);
        }
      }
    }
    if (problems.length > 0) throw new Error(`Sink.kafka(): ${problems.join('; ')}`);
    this.auth = auth;
    this.cluster = options.cluster ?? KafkaCluster.fromBootstrapBrokers({ bootstrapBrokers: options.brokers! });
    this.transactionalIdPrefix = options.transactionalIdPrefix ?? `cdk-data-pipeline.${options.topic}.`;
    this.resources = {
      topic: options.topic,
      checkpointTopic: options.checkpointTopic ?? `${options.topic}.checkpoints`,
      checkpointGroupId: options.checkpointGroupId ?? `${this.transactionalIdPrefix}checkpoints`,
      // Both modes: at least once, each checkpoint is a transaction of its own.
      transactionalIdPrefix: this.transactionalIdPrefix,
      createsCheckpointTopic: !createsCluster,
    };
  }

  public bind(scope: Construct, options: SinkBindOptions): SinkConfig {
    const fail = (problem: string) => {
      throw new Error(`Sink.kafka(): topic "${this.options.topic}": ${problem}`);
    };
    if (this.bound) fail('this sink is already bound to a pipeline; create one Sink.kafka() per pipeline');
    const mechanism = this.auth.mechanism;
    const cluster = this.cluster.bind(scope, { ...options, auth: this.auth });
    if (mechanism === KafkaAuthMechanism.PLAINTEXT && cluster.amazonMsk) {
      fail('auth KafkaAuth.plaintext() is refused for Amazon MSK brokers: use KafkaAuth.iam(), scram() or mutualTls()');
    }
    if (mechanism === KafkaAuthMechanism.IAM && cluster.clusterArn === undefined) {
      fail('auth KafkaAuth.iam() needs the MSK cluster\'s ARN, which its policy names: '
        + 'cluster: KafkaCluster.fromBootstrapBrokers({ bootstrapBrokers, clusterArn })');
    }
    const created = cluster.createdCluster;
    const brokerNodes = created instanceof MskProvisionedCluster ? created.brokerNodes : undefined;
    if (created && this.options.replicationFactor !== undefined) {
      if (brokerNodes === undefined) fail('replicationFactor cannot be set on MSK Serverless, which always keeps 3 replicas');
      else if (this.options.replicationFactor > brokerNodes) fail(`replicationFactor ${this.options.replicationFactor} is more than the cluster's ${brokerNodes} brokers`);
    }
    const json = JSON.stringify(this.config(scope, cluster));
    this.bound = { scope, cluster, json };

    if (created) {
      const replicationFactor = brokerNodes === undefined ? undefined : (this.options.replicationFactor ?? Math.min(3, brokerNodes));
      new KafkaTopics(scope, `KafkaTopics-${this.options.topic}`, {
        vpc: options.vpc,
        vpcSubnets: options.vpcSubnets,
        brokers: cluster.bootstrapBrokers,
        brokerConnections: cluster.connections!,
        ports: cluster.ports,
        clusterArn: cluster.clusterArn!,
        auth: this.auth,
        topics: this.topicSpecs(replicationFactor),
        encryptionKey: options.encryptionKey,
        removalPolicy: options.removalPolicy,
        executeAfter: [created],
      });
    }
    return { kind: 'kafka', json, usesDatabase: false };
  }

  public grantProcessor(scope: Construct, processor: SinkProcessorAccess): void {
    if (!this.bound) throw new Error(`Sink.kafka(): topic "${this.options.topic}": grantProcessor() before bind()`);
    const { cluster, json } = this.bound;
    if (Token.isUnresolved(json) && processor.grantPrincipal instanceof BoundLambdaProcessor) {
      // Its sink configuration is a layer file written at synth: a deploy-time value would stay a placeholder.
      throw new Error(`Sink.kafka(): topic "${this.options.topic}": its configuration holds values known only at deploy time (the brokers of a cluster `
        + 'the construct creates, a region or secret ARN of this app), and Processor.lambdaZip() takes the sink configuration as a file written at synth: '
        + 'use Processor.lambdaContainer(), Processor.fargate() or Processor.batch(), or give brokers, cluster ARN and secret ARN as plain strings');
    }
    for (const port of cluster.ports) {
      cluster.connections?.allowFrom(processor.connections, ec2.Port.tcp(port), `Kafka sink ${this.options.topic}: pipeline processor`);
    }
    const principal = processor.grantPrincipal.grantPrincipal;
    const statements = [
      ...(this.auth.mechanism === KafkaAuthMechanism.IAM ? kafkaProducerStatements(cluster.clusterArn!, this.resources) : []),
      ...secretReadStatements(this.auth.secret),
    ];
    let policy: IConstruct | undefined;
    for (const s of statements) {
      const added = principal.addToPrincipalPolicy(s);
      if (added.policyDependable) policy = added.policyDependable as unknown as IConstruct;
    }
    if (policy && this.auth.mechanism === KafkaAuthMechanism.IAM) {
      const stack = Stack.of(scope);
      const construct = policy.node.defaultChild ?? policy;
      const { transactionalIds, checkpointGroups } = kafkaPerFileArns(cluster.clusterArn!, this.resources);
      const perFile = 'names are only known when a file arrives (a hash of its bucket, key and version), so the processor may use those under this '
        + 'prefix on this one MSK cluster, no other.';
      acknowledgeForPipeline(scope, [{
        construct,
        id: `AwsSolutions-IAM5[Resource::${nagResourceString(stack, transactionalIds)}]`,
        reason: `Kafka sink "${this.options.topic}" uses one transactional id per file version, "${this.transactionalIdPrefix}<hash>": their ${perFile}`,
      }, {
        construct,
        id: `AwsSolutions-IAM5[Resource::${nagResourceString(stack, checkpointGroups)}]`,
        reason: `Kafka sink "${this.options.topic}" keeps each file version's checkpoint as the committed offset of a consumer group of its own, `
          + `"${this.resources.checkpointGroupId}.<hash>": their ${perFile}`,
      }]);
    }
  }

  private topicSpecs(replicationFactor: number | undefined): TopicSpec[] {
    // Acknowledged writes survive a broker's loss with 2 in-sync replicas of 3.
    const durability: Record<string, string> = replicationFactor !== undefined && replicationFactor >= 3 ? { 'min.insync.replicas': '2' } : {};
    const rf = replicationFactor !== undefined ? { replicationFactor } : {};
    return [
      { name: this.resources.topic, partitions: this.options.partitions ?? 1, ...rf, configs: durability },
      { name: this.resources.checkpointTopic, partitions: 1, ...rf, configs: { ...durability, 'cleanup.policy': 'compact' } },
    ];
  }

  private config(scope: Construct, cluster: KafkaClusterConfig): KafkaSinkConfig {
    const o = this.options;
    return {
      kind: 'kafka',
      topic: o.topic,
      brokers: brokerList(cluster.bootstrapBrokers),
      auth: this.authConfig(scope, cluster),
      key: o.key?.columnName !== undefined ? { column: o.key.columnName } : { fileAndLine: true },
      headers: o.headers ?? true,
      compression: o.compression ?? KafkaCompression.GZIP,
      exactlyOnce: o.exactlyOnce ?? true,
      checkpointTopic: this.resources.checkpointTopic,
      transactionalIdPrefix: this.transactionalIdPrefix,
      checkpointGroupId: this.resources.checkpointGroupId,
      checkpointEvery: o.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
      clientId: o.clientId ?? 'cdk-data-pipeline',
    };
  }

  private authConfig(scope: Construct, cluster: KafkaClusterConfig): KafkaAuthConfig {
    const a = this.auth;
    const ca = a.caPem !== undefined ? { caPem: a.caPem } : {};
    switch (a.mechanism) {
      case KafkaAuthMechanism.IAM: {
        const arn = cluster.clusterArn!;
        // The cluster's own region; the stack's when the ARN is only known at deploy time.
        return { mechanism: 'iam', region: Token.isUnresolved(arn) ? Stack.of(scope).region : arn.split(':')[3] };
      }
      case KafkaAuthMechanism.SCRAM_SHA_512: return { mechanism: 'scram-sha-512', secretArn: a.secret!.secretArn, ...ca };
      case KafkaAuthMechanism.MUTUAL_TLS: return { mechanism: 'mtls', secretArn: a.secret!.secretArn, ...ca };
      case KafkaAuthMechanism.TLS: return { mechanism: 'tls', ...ca };
      case KafkaAuthMechanism.PLAINTEXT: return { mechanism: 'plaintext' };
    }
  }
}

/**
 * The brokers as a JSON list. A deploy-time list (`b-1:9098,b-2:9098`, a
 * token) becomes ONE list element whose value, once CloudFormation resolves
 * it, is `b-1:9098","b-2:9098`: inside the JSON string that carries it, that
 * is exactly the list `["b-1:9098","b-2:9098"]`. Broker strings hold no `"`
 * or `\`, so nothing needs escaping.
 */
function brokerList(brokers: string): string[] {
  if (!Token.isUnresolved(brokers)) return brokers.split(',');
  return [Fn.join('","', Fn.split(',', brokers))];
}
