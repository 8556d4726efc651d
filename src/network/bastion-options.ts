import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { BastionPlacement, PipelineBastion } from './pipeline-bastion';
import { PipelineNetwork } from './pipeline-network';

/**
 * The bastion props of a `CdkPipeline`.
 */
export interface PipelineBastionOptions {
  /**
   * Create a bastion with the PostgreSQL client in the processing VPC.
   *
   * @default true
   */
  readonly bastion?: boolean;

  /**
   * Where the bastion runs: private subnets reached through Session Manager
   * only, or a public subnet reachable by SSH from `bastionSshCidr` only.
   *
   * @default BastionPlacement.PRIVATE
   */
  readonly bastionPlacement?: BastionPlacement;

  /**
   * Allow SSH (TCP 22) to the bastion from this CIDR only, e.g.
   * `203.0.113.0/24`. `0.0.0.0/0`, `::/0` and any other `/0` are refused.
   * Required with `BastionPlacement.PUBLIC`.
   *
   * @default - no inbound rule: Session Manager only
   */
  readonly bastionSshCidr?: string;

  /**
   * The EC2 key pair SSH logins to the bastion use.
   *
   * @default - no key pair: EC2 Instance Connect or Session Manager
   */
  readonly bastionKeyPair?: ec2.IKeyPair;

  /**
   * Instance type of the bastion.
   *
   * @default t4g.nano
   */
  readonly bastionInstanceType?: ec2.InstanceType;
}

/**
 * The pipeline's bastion, unless `bastion` is false: in the processing
 * subnets (or the public ones with `BastionPlacement.PUBLIC`), with the
 * Session Manager endpoints when the VPC has no NAT.
 *
 * @internal
 */
export function addPipelineBastion(scope: Construct, o: PipelineBastionOptions, network: PipelineNetwork): PipelineBastion | undefined {
  if (!(o.bastion ?? true)) return undefined;
  if (!network.hasNatEgress) {
    [ec2.InterfaceVpcEndpointAwsService.SSM, ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES, ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES]
      .forEach((s) => network.addInterfaceEndpoint(s));
  }
  const placement = o.bastionPlacement ?? BastionPlacement.PRIVATE;
  return new PipelineBastion(scope, 'Bastion', {
    vpc: network.processingVpc,
    placement,
    vpcSubnets: placement === BastionPlacement.PRIVATE ? network.processingSubnets : undefined,
    sshCidr: o.bastionSshCidr,
    keyPair: o.bastionKeyPair,
    instanceType: o.bastionInstanceType,
  });
}
