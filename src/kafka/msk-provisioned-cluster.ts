import { Lazy, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import { KafkaAuthMechanism } from './kafka-auth';
import { MskClusterBase, MskClusterPlacement, oneSubnetPerZone } from './msk-cluster-base';

/**
 * The newest Apache Kafka version Amazon MSK offers Standard brokers
 * (4.2 is Express-only), in KRaft mode.
 */
export const DEFAULT_MSK_KAFKA_VERSION = '4.1.x.kraft';

/** Options of a provisioned Amazon MSK cluster the construct creates (`KafkaCluster.mskProvisioned()`). */
export interface MskProvisionedClusterOptions {
  /**
   * Name of the cluster: 1 to 64 letters, digits and `-`, starting with a letter.
   *
   * @default - a name unique to the construct's path
   */
  readonly clusterName?: string;
  /**
   * Apache Kafka version, as Amazon MSK names it.
   *
   * @default '4.1.x.kraft'
   */
  readonly kafkaVersion?: string;
  /**
   * Broker instance type.
   *
   * @default 'kafka.m7g.large'
   */
  readonly instanceType?: string;
  /**
   * Number of brokers: a multiple of the number of Availability Zones used
   * (two or three, one subnet each).
   *
   * @default - 3 over three zones, 4 over two, so that topics get three replicas
   */
  readonly brokerNodes?: number;
  /**
   * EBS storage per broker, in GiB (1 to 16384).
   *
   * @default 100
   */
  readonly volumeSize?: number;
  /**
   * ARNs of the ACM Private CAs whose client certificates the brokers accept,
   * for `KafkaAuth.mutualTls()`.
   *
   * @default - none: mutual TLS is not offered
   */
  readonly certificateAuthorityArns?: string[];
  /**
   * Retention of the broker logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Properties of an {@link MskProvisionedCluster}. */
export interface MskProvisionedClusterProps extends MskProvisionedClusterOptions, MskClusterPlacement {}

/**
 * A provisioned Amazon MSK cluster, secure by default: TLS only between
 * clients and brokers and between brokers, data at rest encrypted with the
 * given key, broker logs in a log group encrypted with it, no public access,
 * a security group that admits nobody until a client is allowed. Client
 * authentication is what the sinks ask for (IAM, SCRAM, mutual TLS, or TLS
 * alone; IAM when nothing asks); plaintext is never offered.
 */
export class MskProvisionedCluster extends MskClusterBase {
  /** The CloudFormation cluster. */
  public readonly cfnCluster: msk.CfnCluster;
  /** The broker logs. */
  public readonly logGroup: logs.LogGroup;
  /** ARN of the cluster. */
  public readonly clusterArn: string;
  /** Number of brokers. */
  public readonly brokerNodes: number;
  /** Always false. */
  public readonly serverless = false;

  private readonly mechanisms = new Set<KafkaAuthMechanism>();
  private readonly scramSecretArns: string[] = [];
  private readonly certificateAuthorityArns: string[];

  constructor(scope: Construct, id: string, props: MskProvisionedClusterProps) {
    super(scope, id, props);
    const what = `MskProvisionedCluster ${this.node.path}`;
    const subnets = oneSubnetPerZone(what, props.vpc, props.vpcSubnets, 3);
    this.brokerNodes = props.brokerNodes ?? (subnets.length === 2 ? 4 : 3);
    if (!Number.isInteger(this.brokerNodes) || this.brokerNodes < subnets.length || this.brokerNodes % subnets.length !== 0) {
      throw new Error(`${what}: brokerNodes must be a multiple of the ${subnets.length} Availability Zones the brokers use, got ${props.brokerNodes}`);
    }
    const volumeSize = props.volumeSize ?? 100;
    if (!Number.isInteger(volumeSize) || volumeSize < 1 || volumeSize > 16384) {
      throw new Error(`${what}: volumeSize must be a whole number of GiB from 1 to 16384, got ${props.volumeSize}`);
    }
    const clusterName = props.clusterName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-', allowedSpecialCharacters: '-' });
    if (!/^[a-zA-Z][a-zA-Z0-9-]{0,63}$/.test(clusterName)) {
      throw new Error(`${what}: clusterName "${clusterName}" must be 1 to 64 letters, digits and "-", starting with a letter`);
    }
    const instanceType = props.instanceType ?? 'kafka.m7g.large';
    if (!instanceType.startsWith('kafka.')) {
      throw new Error(`${what}: instanceType "${instanceType}" must be an MSK broker type such as "kafka.m7g.large"`);
    }
    this.certificateAuthorityArns = props.certificateAuthorityArns ?? [];
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.logGroup = new logs.LogGroup(this, 'BrokerLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    this.cfnCluster = new msk.CfnCluster(this, 'Resource', {
      clusterName,
      kafkaVersion: props.kafkaVersion ?? DEFAULT_MSK_KAFKA_VERSION,
      numberOfBrokerNodes: this.brokerNodes,
      brokerNodeGroupInfo: {
        clientSubnets: subnets,
        instanceType,
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize } },
        connectivityInfo: { publicAccess: { type: 'DISABLED' } },
      },
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKmsKeyId: props.encryptionKey.keyArn },
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
      },
      clientAuthentication: Lazy.any({ produce: () => this.renderClientAuthentication() }),
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: this.logGroup.logGroupName } } },
    });
    this.cfnCluster.applyRemovalPolicy(removalPolicy);
    this.clusterArn = this.cfnCluster.attrArn;
  }

  /**
   * Turns `mechanism` on for clients; throws for `KafkaAuth.plaintext()`, and for mutual TLS without `certificateAuthorityArns`.
   *
   * @param mechanism - how clients authenticate
   * @param secretArn - the secret of the SCRAM user, associated with the cluster (`KafkaAuth.scram()` only)
   */
  public enableAuthentication(mechanism: KafkaAuthMechanism, secretArn?: string): void {
    if (mechanism === KafkaAuthMechanism.PLAINTEXT) {
      throw new Error(`MskProvisionedCluster ${this.node.path}: KafkaAuth.plaintext() is never offered on Amazon MSK; use KafkaAuth.iam()`);
    }
    if (mechanism === KafkaAuthMechanism.MUTUAL_TLS && this.certificateAuthorityArns.length === 0) {
      throw new Error(`MskProvisionedCluster ${this.node.path}: KafkaAuth.mutualTls() needs certificateAuthorityArns (the ACM Private CAs of the client certificates)`);
    }
    this.mechanisms.add(mechanism);
    if (mechanism === KafkaAuthMechanism.SCRAM_SHA_512 && secretArn && !this.scramSecretArns.includes(secretArn)) {
      this.scramSecretArns.push(secretArn);
      if (this.scramSecretArns.length === 1) {
        new msk.CfnBatchScramSecret(this, 'ScramSecrets', {
          clusterArn: this.clusterArn,
          secretArnList: Lazy.list({ produce: () => this.scramSecretArns }),
        });
      }
    }
  }

  private renderClientAuthentication(): msk.CfnCluster.ClientAuthenticationProperty {
    // No sink asked for anything yet: IAM, rather than MSK's unauthenticated default.
    const on = (m: KafkaAuthMechanism) => this.mechanisms.has(m) || (this.mechanisms.size === 0 && m === KafkaAuthMechanism.IAM);
    return {
      sasl: on(KafkaAuthMechanism.IAM) || on(KafkaAuthMechanism.SCRAM_SHA_512) ? {
        iam: on(KafkaAuthMechanism.IAM) ? { enabled: true } : undefined,
        scram: on(KafkaAuthMechanism.SCRAM_SHA_512) ? { enabled: true } : undefined,
      } : undefined,
      tls: on(KafkaAuthMechanism.MUTUAL_TLS) ? { enabled: true, certificateAuthorityArnList: this.certificateAuthorityArns } : undefined,
      unauthenticated: on(KafkaAuthMechanism.TLS) ? { enabled: true } : undefined,
    };
  }
}
