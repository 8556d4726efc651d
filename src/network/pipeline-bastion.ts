import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from '../security/managed-policy-role';

/**
 * Properties of a {@link PipelineBastion}.
 */
export interface PipelineBastionProps {
  /** VPC the bastion runs in. */
  readonly vpc: ec2.IVpc;

  /**
   * Subnets of the bastion: private ones, since it is reached through
   * Session Manager and never from the Internet.
   *
   * @default - the VPC's private subnets with egress, else its isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

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
 * A bastion reachable only through AWS Systems Manager Session Manager: no
 * inbound security-group rule, no SSH key, IMDSv2 required, encrypted root
 * volume, detailed monitoring, and the PostgreSQL client installed by user
 * data. Connect with `aws ssm start-session --target <instanceId>`, or
 * forward the database port with the `AWS-StartPortForwardingSessionToRemoteHost`
 * document.
 */
export class PipelineBastion extends Construct implements ec2.IConnectable {
  /** The EC2 instance. */
  public readonly instance: ec2.Instance;
  /** The instance role (Session Manager permissions only). */
  public readonly role: iam.Role;
  /** The bastion's security group: no inbound rules. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network connections of the bastion (used to open the database port to it). */
  public readonly connections: ec2.Connections;
  /** The customer-managed policy of `role` (Session Manager permissions). */
  public readonly sessionManagerPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: PipelineBastionProps) {
    super(scope, id);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Pipeline bastion: no inbound rules (Session Manager only)',
      allowAllOutbound: false,
    });
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
      vpcSubnets: props.vpcSubnets ?? defaultPrivateSubnets(props.vpc),
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
  }
}

function defaultPrivateSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return vpc.privateSubnets.length > 0
    ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
    : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
}
