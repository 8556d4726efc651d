import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KafkaAuth, KafkaAuthMechanism, mskPort } from './kafka-auth';
import { MskClusterBase } from './msk-cluster-base';
import { MskProvisionedCluster, MskProvisionedClusterOptions } from './msk-provisioned-cluster';
import { MskServerlessCluster, MskServerlessClusterOptions } from './msk-serverless-cluster';

/** Options of `KafkaCluster.fromBootstrapBrokers()`: brokers you run or an MSK cluster you created. */
export interface ExistingKafkaClusterOptions {
  /** Bootstrap brokers, `host:port` each. */
  readonly bootstrapBrokers: string[];
  /**
   * Security group of the brokers: the processor's group is allowed in on
   * the brokers' ports (the ports of `bootstrapBrokers`), and nothing else.
   *
   * @default - no rule is added: the brokers must already admit the processor
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * ARN of the Amazon MSK cluster the brokers belong to: required by
   * `KafkaAuth.iam()`, whose policy names the cluster, its topics and groups.
   *
   * @default - not an MSK cluster (unless the broker host names are MSK's)
   */
  readonly clusterArn?: string;
}

/** What a Kafka cluster is bound with: where the pipeline runs, and how the sink authenticates. */
export interface KafkaClusterBindOptions {
  /** VPC of the processor (a cluster the construct creates goes here). */
  readonly vpc: ec2.IVpc;
  /** Subnets of the processor. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** The pipeline's key. */
  readonly encryptionKey: kms.IKey;
  /** Removal policy of what is created. */
  readonly removalPolicy: RemovalPolicy;
  /** The sink's authentication. */
  readonly auth: KafkaAuth;
}

/** A bound Kafka cluster, as a sink uses it. */
export interface KafkaClusterConfig {
  /** Comma-separated bootstrap brokers; a deploy-time token for a cluster the construct creates. */
  readonly bootstrapBrokers: string;
  /**
   * ARN of the MSK cluster.
   *
   * @default - not known (brokers that are not MSK's)
   */
  readonly clusterArn?: string;
  /**
   * The brokers' connections, to allow the processor in.
   *
   * @default - no security group is managed
   */
  readonly connections?: ec2.Connections;
  /** Broker ports a client of this authentication connects to. */
  readonly ports: number[];
  /** Whether the brokers are Amazon MSK's (plaintext is then refused). */
  readonly amazonMsk: boolean;
  /**
   * The cluster, when the construct created it (its topics are then created
   * at deploy time).
   *
   * @default - brokers you bring
   */
  readonly createdCluster?: MskClusterBase;
}

/**
 * The Kafka brokers a sink sends to: brokers you bring, or an Amazon MSK
 * cluster the construct creates in the processing VPC. Pick with the
 * static factories.
 */
export abstract class KafkaCluster {
  /** Brokers you run, or an MSK cluster created elsewhere. */
  public static fromBootstrapBrokers(options: ExistingKafkaClusterOptions): KafkaCluster {
    const problems = bootstrapBrokerProblems('bootstrapBrokers', options.bootstrapBrokers);
    const arn = options.clusterArn;
    if (arn !== undefined && !Token.isUnresolved(arn) && !MSK_CLUSTER_ARN.test(arn)) {
      problems.push(`clusterArn "${arn}" is not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)`);
    }
    if (problems.length > 0) throw new Error(`KafkaCluster.fromBootstrapBrokers(): ${problems.join('; ')}`);
    return new ExistingKafkaCluster(options);
  }

  /**
   * A provisioned Amazon MSK cluster in the processing VPC, one subnet per
   * zone of the processor's subnets (see `MskProvisionedCluster`). Bind one
   * instance to several sinks to share the cluster.
   *
   * @param options - the cluster's settings; each has a default
   */
  public static mskProvisioned(options: MskProvisionedClusterOptions = {}): KafkaCluster {
    return new CreatedMskCluster('MskCluster', (scope, id, o) => new MskProvisionedCluster(scope, id, {
      ...options, vpc: o.vpc, vpcSubnets: o.vpcSubnets, encryptionKey: o.encryptionKey, removalPolicy: o.removalPolicy,
    }));
  }

  /**
   * An Amazon MSK Serverless cluster in the processing VPC (IAM only; see
   * `MskServerlessCluster`). Bind one instance to several sinks to share it.
   *
   * @param options - the cluster's settings; each has a default
   */
  public static mskServerless(options: MskServerlessClusterOptions = {}): KafkaCluster {
    return new CreatedMskCluster('MskServerlessCluster', (scope, id, o) => new MskServerlessCluster(scope, id, {
      ...options, vpc: o.vpc, vpcSubnets: o.vpcSubnets, removalPolicy: o.removalPolicy, encryptionKey: o.encryptionKey,
    }));
  }

  /** Whether the construct creates the cluster (and then the sinks' topics). */
  public abstract readonly createsCluster: boolean;

  /**
   * The MSK cluster the construct created, once a sink is bound (its ARN,
   * security group, log group...).
   *
   * @default - none: brokers you bring, or not bound yet
   */
  public abstract readonly createdCluster?: MskClusterBase;

  /** Binds the cluster to a sink of the pipeline `scope`. */
  public abstract bind(scope: Construct, options: KafkaClusterBindOptions): KafkaClusterConfig;
}

const MSK_CLUSTER_ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[a-zA-Z0-9-]+\/[a-zA-Z0-9-]+$/;
const MSK_HOST = /\.kafka(-serverless)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/**
 * What is wrong with a list of bootstrap brokers, each problem naming
 * `prop[i]`. A token (a deploy-time value) is taken as it is.
 *
 * @internal
 */
export function bootstrapBrokerProblems(prop: string, brokers: unknown): string[] {
  if (Token.isUnresolved(brokers)) return [];
  if (!Array.isArray(brokers) || brokers.length === 0) return [`${prop} must list at least one broker as "host:port"`];
  const problems: string[] = [];
  brokers.forEach((b, i) => {
    if (typeof b === 'string' && Token.isUnresolved(b)) return;
    const m = typeof b === 'string' ? /^([A-Za-z0-9._-]+):(\d{1,5})$/.exec(b) : null;
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      problems.push(`${prop}[${i}] ${JSON.stringify(b)} must be "host:port" (a port from 1 to 65535)`);
    } else if (brokers.indexOf(b) !== i) {
      problems.push(`${prop}[${i}] "${b}" is listed twice`);
    }
  });
  return problems;
}

class ExistingKafkaCluster extends KafkaCluster {
  public readonly createsCluster = false;
  public readonly createdCluster = undefined;

  constructor(private readonly options: ExistingKafkaClusterOptions) {
    super();
  }

  public bind(_scope: Construct, _options: KafkaClusterBindOptions): KafkaClusterConfig {
    const brokers = this.options.bootstrapBrokers;
    const literal = brokers.filter((b) => !Token.isUnresolved(b));
    const ports = [...new Set(literal.map((b) => Number(b.slice(b.lastIndexOf(':') + 1))))].sort((a, b) => a - b);
    return {
      bootstrapBrokers: brokers.join(','),
      clusterArn: this.options.clusterArn,
      connections: this.options.securityGroup ? new ec2.Connections({ securityGroups: [this.options.securityGroup] }) : undefined,
      ports,
      amazonMsk: this.options.clusterArn !== undefined || literal.some((b) => MSK_HOST.test(b.slice(0, b.lastIndexOf(':')))),
    };
  }
}

type MskFactory = (scope: Construct, id: string, options: KafkaClusterBindOptions) => MskClusterBase;

/** A cluster the construct creates at the first bind; later binds (more sinks) share it. */
class CreatedMskCluster extends KafkaCluster {
  public readonly createsCluster = true;
  private created?: MskClusterBase;

  public get createdCluster(): MskClusterBase | undefined {
    return this.created;
  }

  constructor(private readonly id: string, private readonly create: MskFactory) {
    super();
  }

  public bind(scope: Construct, options: KafkaClusterBindOptions): KafkaClusterConfig {
    if (!this.created) {
      this.created = this.create(scope, uniqueId(scope, this.id), options);
    } else if (this.created.node.scope !== scope) {
      throw new Error(`A KafkaCluster.${this.id === 'MskCluster' ? 'mskProvisioned' : 'mskServerless'}() cluster belongs to ${this.created.node.scope?.node.path}: `
        + 'share it between sinks of that pipeline only');
    }
    const mechanism: KafkaAuthMechanism = options.auth.mechanism;
    this.created.enableAuthentication(mechanism, options.auth.secret?.secretArn);
    return {
      bootstrapBrokers: this.created.bootstrapBrokers(mechanism),
      clusterArn: this.created.clusterArn,
      connections: this.created.connections,
      ports: [mskPort(mechanism)],
      amazonMsk: true,
      createdCluster: this.created,
    };
  }
}

/** `id`, or `id2`, `id3`... when a pipeline creates several clusters. */
function uniqueId(scope: Construct, id: string): string {
  let n = 1;
  while (scope.node.tryFindChild(n === 1 ? id : `${id}${n}`)) n++;
  return n === 1 ? id : `${id}${n}`;
}
