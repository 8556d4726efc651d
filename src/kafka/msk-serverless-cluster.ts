import { Names, RemovalPolicy } from 'aws-cdk-lib';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import { KafkaAuthMechanism } from './kafka-auth';
import { MskClusterBase, MskClusterPlacement, oneSubnetPerZone } from './msk-cluster-base';

/** Options of an Amazon MSK Serverless cluster the construct creates (`KafkaCluster.mskServerless()`). */
export interface MskServerlessClusterOptions {
  /**
   * Name of the cluster: 1 to 64 letters, digits and `-`, starting with a letter.
   *
   * @default - a name unique to the construct's path
   */
  readonly clusterName?: string;
}

/** Properties of an {@link MskServerlessCluster}. */
export interface MskServerlessClusterProps extends MskServerlessClusterOptions, MskClusterPlacement {}

/**
 * An Amazon MSK Serverless cluster: IAM access control only, TLS only, data
 * at rest encrypted by MSK (Serverless offers no customer-managed key and no
 * broker logs), Kafka version and capacity managed by MSK. Only clients the
 * security group admits reach it (port 9098).
 */
export class MskServerlessCluster extends MskClusterBase {
  /** The CloudFormation cluster. */
  public readonly cfnCluster: msk.CfnServerlessCluster;
  /** ARN of the cluster. */
  public readonly clusterArn: string;
  /** Always true. */
  public readonly serverless = true;

  constructor(scope: Construct, id: string, props: MskServerlessClusterProps) {
    super(scope, id, props);
    const what = `MskServerlessCluster ${this.node.path}`;
    const clusterName = props.clusterName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-', allowedSpecialCharacters: '-' });
    if (!/^[a-zA-Z][a-zA-Z0-9-]{0,63}$/.test(clusterName)) {
      throw new Error(`${what}: clusterName "${clusterName}" must be 1 to 64 letters, digits and "-", starting with a letter`);
    }
    this.cfnCluster = new msk.CfnServerlessCluster(this, 'Resource', {
      clusterName,
      clientAuthentication: { sasl: { iam: { enabled: true } } },
      vpcConfigs: [{ subnetIds: oneSubnetPerZone(what, props.vpc, props.vpcSubnets, 5), securityGroups: [this.securityGroup.securityGroupId] }],
    });
    this.cfnCluster.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.clusterArn = this.cfnCluster.attrArn;
  }

  /**
   * Checks that `mechanism` is IAM, the only one MSK Serverless offers
   * (`secretArn` is not used: there are no SCRAM users to associate).
   *
   * @param mechanism - how clients authenticate
   * @param secretArn - unused on MSK Serverless
   */
  public enableAuthentication(mechanism: KafkaAuthMechanism, secretArn?: string): void {
    void secretArn;
    if (mechanism !== KafkaAuthMechanism.IAM) {
      throw new Error(`MskServerlessCluster ${this.node.path}: MSK Serverless supports KafkaAuth.iam() only, not "${mechanism}"`);
    }
  }
}
