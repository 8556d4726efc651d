import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { bootstrapBrokers } from './bootstrap-brokers';
import { KafkaAuthMechanism, mskPort } from './kafka-auth';
import { kafkaConsumerStatements } from './kafka-iam';

/** Where an MSK cluster the construct creates goes, and how it is protected. */
export interface MskClusterPlacement {
  /** VPC of the brokers (the pipeline's processing VPC). */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the brokers: one per Availability Zone is used.
   *
   * @default - the VPC's private subnets (isolated ones if it has no other)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Key of the data at rest and of the broker logs. */
  readonly encryptionKey: kms.IKey;
  /**
   * What happens to the cluster and its log group when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * What the MSK clusters the construct creates share: a security group with
 * no rule (ingress is granted per processor and port), no outbound traffic,
 * subnets one per zone, and the bootstrap brokers read at deploy time.
 */
export abstract class MskClusterBase extends Construct implements ec2.IConnectable {
  /** The brokers' security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The brokers' connections: `allowFrom` a client on a broker port. */
  public readonly connections: ec2.Connections;
  /** ARN of the cluster. */
  public abstract readonly clusterArn: string;
  /** Whether the cluster is MSK Serverless. */
  public abstract readonly serverless: boolean;

  private readonly encryptionKey: kms.IKey;
  private readonly removalPolicy: RemovalPolicy;
  private readonly brokerLists = new Map<KafkaAuthMechanism, string>();

  protected constructor(scope: Construct, id: string, props: MskClusterPlacement) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${this.node.path}: MSK brokers; only the pipeline processor (and topic creation) may connect, on the port of its authentication`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });
  }

  /**
   * The comma-separated bootstrap brokers for `mechanism`, a token read at
   * deploy time.
   */
  public bootstrapBrokers(mechanism: KafkaAuthMechanism): string {
    let brokers = this.brokerLists.get(mechanism);
    if (!brokers) {
      brokers = bootstrapBrokers(this, `BootstrapBrokers-${mechanism}`, {
        clusterArn: this.clusterArn,
        mechanism,
        encryptionKey: this.encryptionKey,
        removalPolicy: this.removalPolicy,
      }).brokers;
      this.brokerLists.set(mechanism, brokers);
    }
    return brokers;
  }

  /**
   * Lets a consumer read `topic` with the consumer group `groupId` through
   * MSK IAM access control: connect to this cluster, describe and read that
   * topic, and use that group, nothing else. Reach the brokers with
   * `connections.allowFrom(consumer, ec2.Port.tcp(9098))`; read with
   * `isolation.level=read_committed` to see committed rows only, once each.
   */
  public grantConsume(grantee: iam.IGrantable, topic: string, groupId: string): iam.Grant {
    return kafkaConsumerStatements(this.clusterArn, topic, groupId)
      .map((s) => iam.Grant.addToPrincipal({ grantee, actions: s.actions, resourceArns: s.resources }))
      .reduce((all, g) => all.combine(g));
  }

  /** The broker port of MSK IAM access control, 9098. */
  public get iamPort(): number {
    return mskPort(KafkaAuthMechanism.IAM);
  }

  /**
   * Turns `mechanism` on for clients (called for each sink that uses the
   * cluster); throws, naming the mechanism, when the cluster cannot offer it.
   *
   * @param mechanism - how clients authenticate
   * @param secretArn - the Secrets Manager secret of the SCRAM user to
   * associate with the cluster (`KafkaAuth.scram()` only; otherwise unused)
   */
  public abstract enableAuthentication(mechanism: KafkaAuthMechanism, secretArn?: string): void;
}

/**
 * The IDs of one subnet per Availability Zone of the selection, at most `max`.
 *
 * @internal
 */
export function oneSubnetPerZone(what: string, vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined, max: number): string[] {
  const subnets = vpc.selectSubnets({ ...selection, onePerAz: true }).subnetIds;
  if (subnets.length < 2) {
    throw new Error(`${what}: the brokers need subnets in at least two Availability Zones, the selection has ${subnets.length}`);
  }
  return subnets.slice(0, max);
}
