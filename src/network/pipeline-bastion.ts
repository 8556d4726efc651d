import { isIPv4, isIPv6 } from 'net';
import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { applyAcknowledgments, NagAcknowledgment } from '../nag-acknowledgments';
import { ManagedPolicyRole } from '../security/managed-policy-role';

/**
 * Where a {@link PipelineBastion} runs.
 */
export enum BastionPlacement {
  /**
   * Private subnets, no public IP: reached through Session Manager only
   * (or SSH from `sshCidr` over a VPN or Direct Connect).
   */
  PRIVATE = 'PRIVATE',
  /**
   * A public subnet with a public IP, reachable by SSH from `sshCidr` only.
   * Session Manager works as well. Needs `sshCidr` and a VPC with public
   * subnets.
   */
  PUBLIC = 'PUBLIC',
}

/**
 * Properties of a {@link PipelineBastion}.
 */
export interface PipelineBastionProps {
  /** VPC the bastion runs in. */
  readonly vpc: ec2.IVpc;

  /**
   * Public subnets (reachable by SSH from `sshCidr`) or private ones
   * (Session Manager only).
   *
   * @default BastionPlacement.PRIVATE
   */
  readonly placement?: BastionPlacement;

  /**
   * Subnets of the bastion. With `BastionPlacement.PUBLIC` they must all be
   * public subnets.
   *
   * @default - with `BastionPlacement.PRIVATE` the VPC's private subnets with egress, else its isolated subnets; with `BastionPlacement.PUBLIC` its public subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Allow SSH (TCP 22) to the bastion from this CIDR only, e.g. your
   * office's `203.0.113.0/24` or one address as `203.0.113.7/32` (IPv6
   * CIDRs work too). A CIDR of the whole Internet (`0.0.0.0/0`, `::/0`, any
   * `/0`) is refused, and so is a value known only at deploy time, since it
   * could not be checked. Required with `BastionPlacement.PUBLIC`; with
   * `BastionPlacement.PRIVATE` it opens SSH from a network that reaches the
   * VPC privately (VPN, Direct Connect, peering).
   *
   * @default - no inbound rule: Session Manager only
   */
  readonly sshCidr?: string;

  /**
   * The EC2 key pair SSH logins use (`sshCidr` only).
   *
   * @default - no key pair: log in with EC2 Instance Connect (`aws ec2-instance-connect ssh --instance-id <id>`), which pushes a one-time key, or with Session Manager
   */
  readonly keyPair?: ec2.IKeyPair;

  /**
   * Instance type.
   *
   * @default t4g.nano
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Size of the encrypted root volume in GiB.
   *
   * @default 8
   */
  readonly volumeSize?: number;
}

/**
 * A bastion with the PostgreSQL client, allowed to reach the database. By
 * default it is reachable only through AWS Systems Manager Session Manager:
 * private subnets, no inbound security-group rule, no SSH key. IMDSv2 is
 * required, the root volume is encrypted, monitoring is detailed. Connect
 * with `aws ssm start-session --target <instanceId>`, or forward the
 * database port with the `AWS-StartPortForwardingSessionToRemoteHost`
 * document.
 *
 * With `placement: BastionPlacement.PUBLIC` and `sshCidr` it runs in a
 * public subnet with a public IP and admits SSH from that CIDR only;
 * Session Manager keeps working.
 */
export class PipelineBastion extends Construct implements ec2.IConnectable {
  /** The EC2 instance. */
  public readonly instance: ec2.Instance;
  /** The instance role (Session Manager permissions only). */
  public readonly role: iam.Role;
  /** The bastion's security group: no inbound rules, or SSH from `sshCidr` only. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network connections of the bastion (used to open the database port to it). */
  public readonly connections: ec2.Connections;
  /** The customer-managed policy of `role` (Session Manager permissions). */
  public readonly sessionManagerPolicy: iam.ManagedPolicy;
  /** Where the bastion runs. */
  public readonly placement: BastionPlacement;
  /**
   * The cdk-nag findings of the bastion that it acknowledges, with their
   * reasons: the Session Manager actions that name no resource, no
   * termination protection, and with `BastionPlacement.PUBLIC` the public
   * IP. They are already attached, so a bastion used on its own has no
   * other finding.
   */
  public readonly nagAcknowledgments: NagAcknowledgment[];

  constructor(scope: Construct, id: string, props: PipelineBastionProps) {
    super(scope, id);
    this.placement = props.placement ?? BastionPlacement.PRIVATE;
    const isPublic = this.placement === BastionPlacement.PUBLIC;
    const sshPeer = props.sshCidr === undefined ? undefined : sshPeerOf(props.sshCidr);
    validatePlacement(props, isPublic, sshPeer !== undefined);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: sshPeer
        ? 'Pipeline bastion: SSH from one CIDR only, and Session Manager'
        : 'Pipeline bastion: no inbound rules (Session Manager only)',
      allowAllOutbound: false,
    });
    if (sshPeer) {
      this.securityGroup.addIngressRule(sshPeer, ec2.Port.tcp(22), `SSH from ${props.sshCidr} only`);
    }
    // HTTPS out for the SSM agent (endpoints or NAT) and package repositories;
    // the database port is added by whoever allows the bastion in.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Systems Manager and package repositories');
    this.connections = this.securityGroup.connections;

    // A customer-managed policy with exactly what the SSM agent needs for
    // Session Manager, instead of the broader AmazonSSMManagedInstanceCore.
    const role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Pipeline bastion: Session Manager only',
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SessionManager',
      // The instance's own ARN cannot be named (the instance depends on
      // this role) and the ssmmessages actions support no resource-level
      // permissions.
      actions: [
        'ssm:UpdateInstanceInformation',
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
      ],
      resources: ['*'],
    }));
    this.role = role;
    this.sessionManagerPolicy = role.policy!;

    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      'set -eu',
      // Amazon Linux 2023 ships PostgreSQL clients as postgresqlNN packages.
      'dnf install -y postgresql17 || dnf install -y postgresql16 || dnf install -y postgresql15',
    );

    const instanceType = props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO);
    const cpuType = instanceType.architecture === ec2.InstanceArchitecture.ARM_64
      ? ec2.AmazonLinuxCpuType.ARM_64
      : ec2.AmazonLinuxCpuType.X86_64;
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? (isPublic ? { subnetType: ec2.SubnetType.PUBLIC } : defaultPrivateSubnets(props.vpc)),
      // Explicit rather than left to the subnet's MapPublicIpOnLaunch, so
      // the template (and every checker) says what the bastion gets.
      associatePublicIpAddress: isPublic ? true : undefined,
      keyPair: props.keyPair,
      instanceType,
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType }),
      securityGroup: this.securityGroup,
      role: this.role,
      userData,
      requireImdsv2: true,
      detailedMonitoring: true,
      disableApiTermination: false,
      ssmSessionPermissions: false,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(props.volumeSize ?? 8, {
          encrypted: true,
          volumeType: ec2.EbsDeviceVolumeType.GP3,
          deleteOnTermination: true,
        }),
      }],
    });
    // requireImdsv2 sets it on a launch template; on the instance too, so
    // checkers that read only the instance see it.
    (this.instance.node.defaultChild as ec2.CfnInstance).metadataOptions = { httpTokens: 'required', httpEndpoint: 'enabled' };

    const cfnInstance = this.instance.node.defaultChild as Construct;
    this.nagAcknowledgments = [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Session Manager only: the ssmmessages Create/Open Control/Data Channel actions support no resource-level permissions, '
          + 'and ssm:UpdateInstanceInformation cannot name the instance, which depends on this role.',
        construct: this.sessionManagerPolicy.node.defaultChild as Construct,
      },
      {
        id: 'AwsSolutions-EC29',
        reason: 'The bastion holds no state and is recreated by a deploy; termination protection would only make `cdk destroy` fail.',
        construct: cfnInstance,
      },
      ...(isPublic ? publicIpAcknowledgments(cfnInstance, props.sshCidr!) : []),
    ];
    applyAcknowledgments(this, this.nagAcknowledgments);
  }
}

function defaultPrivateSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return vpc.privateSubnets.length > 0
    ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
    : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
}

/** The name of the CIDR option in messages, with its name on CdkPipeline. */
const SSH_CIDR = '`sshCidr` (CdkPipeline: `bastionSshCidr`)';

/**
 * The security-group peer of `sshCidr`, refusing what would open SSH to
 * the Internet or could not be checked at synth time.
 */
function sshPeerOf(cidr: string): ec2.IPeer {
  if (Token.isUnresolved(cidr)) {
    throw new Error(`PipelineBastion: ${SSH_CIDR} must be a literal CIDR such as 203.0.113.0/24, not a value known only at deploy time: `
      + 'the bastion checks at synth time that SSH is not open to the whole Internet');
  }
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(cidr);
  const address = match?.[1] ?? '';
  const prefix = Number(match?.[2]);
  const v4 = isIPv4(address);
  if (!match || !(v4 || isIPv6(address)) || prefix > (v4 ? 32 : 128)) {
    throw new Error(`PipelineBastion: ${SSH_CIDR} must be an IPv4 or IPv6 CIDR such as 203.0.113.0/24 or 2001:db8::/48 (got '${cidr}')`);
  }
  if (prefix === 0) {
    throw new Error(`PipelineBastion: ${SSH_CIDR} '${cidr}' would open SSH to the whole Internet; give the CIDR of the network you `
      + 'connect from (e.g. 203.0.113.0/24, or one address as 203.0.113.7/32), or omit it and connect with Session Manager');
  }
  return v4 ? ec2.Peer.ipv4(cidr) : ec2.Peer.ipv6(cidr);
}

function validatePlacement(props: PipelineBastionProps, isPublic: boolean, ssh: boolean): void {
  if (props.keyPair && !ssh) {
    throw new Error('PipelineBastion: `keyPair` (CdkPipeline: `bastionKeyPair`) is only used for SSH logins: set `sshCidr` too, or remove it');
  }
  if (!isPublic) return;
  if (!ssh) {
    throw new Error('PipelineBastion: `placement: BastionPlacement.PUBLIC` needs `sshCidr` (CdkPipeline: `bastionSshCidr`), the network SSH is '
      + 'allowed from; without SSH a public bastion adds nothing to the private one: remove `placement` to use Session Manager');
  }
  const publicIds = new Set(props.vpc.publicSubnets.map((s) => s.subnetId));
  if (publicIds.size === 0) {
    throw new Error('PipelineBastion: `placement: BastionPlacement.PUBLIC` needs a VPC with public subnets, and this one has none '
      + '(`natGateways: 0` creates none): remove `placement` to use Session Manager in the private subnets');
  }
  if (props.vpcSubnets) {
    const selected = props.vpc.selectSubnets(props.vpcSubnets).subnets;
    if (selected.some((s) => !publicIds.has(s.subnetId))) {
      throw new Error('PipelineBastion: with `placement: BastionPlacement.PUBLIC`, `vpcSubnets` must select public subnets only: '
        + 'remove `vpcSubnets` to use the VPC\'s public subnets');
    }
  }
}

/**
 * What HIPAA Security, NIST 800-53 R5 and PCI DSS 3.2.1 report for a public
 * bastion: its public IP, and (because the subnet of an instance with a
 * public IP moves into its network interface) that it would not be in a VPC.
 */
function publicIpAcknowledgments(instance: Construct, sshCidr: string): NagAcknowledgment[] {
  const publicIp = 'The bastion has a public IP because it was asked for with placement: BastionPlacement.PUBLIC; '
    + `its security group admits SSH from ${sshCidr} only and nothing else, IMDSv2 is required and its volume is encrypted. `
    + 'The default placement (private subnets, Session Manager only) has no public IP.';
  const inVpc = 'The bastion is in a public subnet of the pipeline\'s VPC: with a public IP, CloudFormation takes the subnet in '
    + 'NetworkInterfaces[0].SubnetId instead of the instance\'s SubnetId, which is the only place this rule looks.';
  return ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].flatMap((pack) => [
    { id: `${pack}-EC2InstanceNoPublicIp`, reason: publicIp, construct: instance },
    { id: `${pack}-EC2InstancesInVPC`, reason: inVpc, construct: instance },
  ]);
}
