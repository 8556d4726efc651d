import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IDependable } from 'constructs';
import { ManagedPolicyRole } from '../security/managed-policy-role';

/**
 * How the pipeline's network is laid out. `CdkPipelineProps` takes these
 * flat; `PipelineNetworkProps` adds what only the standalone construct needs.
 */
export interface PipelineNetworkOptions {
  /**
   * Put the processor and the database in one VPC instead of two peered VPCs.
   * The database then lives in that VPC's isolated subnets.
   *
   * @default false - a processing VPC and a database VPC joined by VPC peering
   */
  readonly singleVpc?: boolean;

  /**
   * Bring your own VPC for the processor (and the bastion). It must have
   * private subnets (with egress, or isolated with the VPC endpoints the
   * processor needs). The construct adds no subnets or routes to it.
   *
   * @default - a VPC is created with `processingCidr`
   */
  readonly processingVpc?: ec2.IVpc;

  /**
   * Bring your own VPC for the database. It must have isolated subnets, and
   * you own the connectivity between it and `processingVpc` (no peering is
   * created between VPCs you bring).
   *
   * @default - `processingVpc` when `singleVpc` is true, else a VPC is created with `databaseCidr`
   */
  readonly databaseVpc?: ec2.IVpc;

  /**
   * CIDR of the processing VPC the construct creates.
   *
   * @default '10.0.0.0/16'
   */
  readonly processingCidr?: string;

  /**
   * CIDR of the database VPC the construct creates. Must not overlap `processingCidr`.
   *
   * @default '10.1.0.0/16'
   */
  readonly databaseCidr?: string;

  /**
   * NAT gateways in the processing VPC. 0 is allowed: the processor then runs
   * in isolated subnets and reaches AWS only through VPC endpoints.
   *
   * @default 1
   */
  readonly natGateways?: number;

  /**
   * Availability zones used by each VPC the construct creates.
   *
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * Create the S3 gateway endpoint and the interface endpoints in the
   * processing VPC. Turning this off requires NAT gateways.
   *
   * @default true
   */
  readonly vpcEndpoints?: boolean;
}

/**
 * Properties of a {@link PipelineNetwork}.
 */
export interface PipelineNetworkProps extends PipelineNetworkOptions {
  /**
   * Interface endpoints to create in the processing VPC (the S3 gateway
   * endpoint is always created when `vpcEndpoints` is true). More can be
   * added later with `addInterfaceEndpoint()`.
   *
   * @default - Secrets Manager, SNS and CloudWatch Logs
   */
  readonly interfaceEndpoints?: ec2.InterfaceVpcEndpointAwsService[];

  /**
   * Gateway endpoints to create in the processing VPC besides S3's (when
   * `vpcEndpoints` is true), e.g. DynamoDB for `Ledger.dynamoDb()`.
   *
   * @default - none
   */
  readonly gatewayEndpoints?: ec2.GatewayVpcEndpointAwsService[];

  /**
   * Retention of the VPC flow logs (sent to CloudWatch Logs).
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;

  /**
   * KMS key of the flow-log groups (its key policy must let CloudWatch Logs
   * of the region use it).
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly flowLogEncryptionKey?: kms.IKey;

  /**
   * Removal policy of the flow-log groups.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The network of a pipeline: by default a processing VPC (public,
 * private-with-egress and isolated subnets) and a database VPC (isolated
 * subnets only), joined by a VPC peering connection whose routes cover
 * exactly the subnets that talk to each other, with flow logs on both and
 * VPC endpoints for the AWS services the processor calls.
 */
export class PipelineNetwork extends Construct {
  /** VPC of the processor and the bastion. */
  public readonly processingVpc: ec2.IVpc;
  /** VPC of the database (the same object as `processingVpc` in single-VPC mode). */
  public readonly databaseVpc: ec2.IVpc;
  /** Subnets the processor (and bastion) run in. */
  public readonly processingSubnets: ec2.SubnetSelection;
  /** Subnets the database runs in. */
  public readonly databaseSubnets: ec2.SubnetSelection;
  /**
   * The peering connection between the two VPCs, when the construct created it.
   * Cross-VPC security-group rules must depend on it.
   */
  public readonly peeringConnection?: ec2.CfnVPCPeeringConnection;
  /** Whether NAT gateways give the processing subnets Internet egress. */
  public readonly hasNatEgress: boolean;

  private readonly endpointsEnabled: boolean;
  private readonly interfaceEndpointsByName = new Map<string, ec2.InterfaceVpcEndpoint>();
  private readonly endpointSecurityGroup?: ec2.SecurityGroup;
  private readonly peeringDependencies: IDependable[] = [];

  /**
   * Creates the pipeline's network (see the class description).
   *
   * @param scope - the pipeline
   * @param id - scope-unique id
   * @param props - the network settings; each has a default
   */
  constructor(scope: Construct, id: string, props: PipelineNetworkProps = {}) {
    super(scope, id);
    validateNetworkProps(props);

    const natGateways = props.natGateways ?? 1;
    const maxAzs = props.maxAzs ?? 2;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.endpointsEnabled = props.vpcEndpoints ?? true;

    if (props.processingVpc) {
      this.processingVpc = props.processingVpc;
      this.hasNatEgress = props.processingVpc.privateSubnets.length > 0;
      this.processingSubnets = this.hasNatEgress
        ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
        : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    } else {
      this.hasNatEgress = natGateways > 0;
      // Without NAT there is nothing to put in a public subnet: the processor
      // and bastion live in isolated subnets and reach AWS through endpoints.
      const subnets: ec2.SubnetConfiguration[] = [
        // Public subnets hold only the NAT gateways: nothing launched in them gets a public IP.
        ...(natGateways > 0 ? [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false }] : []),
        {
          name: 'processing',
          subnetType: natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: 22,
        },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ];
      this.processingVpc = new ec2.Vpc(this, 'ProcessingVpc', {
        ipAddresses: ec2.IpAddresses.cidr(props.processingCidr ?? '10.0.0.0/16'),
        maxAzs,
        natGateways,
        subnetConfiguration: subnets,
        restrictDefaultSecurityGroup: true,
      });
      this.processingSubnets = { subnetGroupName: 'processing' };
      this.addFlowLog(this.processingVpc as ec2.Vpc, 'ProcessingFlowLog', props, removalPolicy);
    }

    if (props.databaseVpc) {
      this.databaseVpc = props.databaseVpc;
    } else if (props.singleVpc) {
      this.databaseVpc = this.processingVpc;
    } else {
      this.databaseVpc = new ec2.Vpc(this, 'DatabaseVpc', {
        ipAddresses: ec2.IpAddresses.cidr(props.databaseCidr ?? '10.1.0.0/16'),
        maxAzs,
        natGateways: 0,
        subnetConfiguration: [{ name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
        restrictDefaultSecurityGroup: true,
      });
      this.addFlowLog(this.databaseVpc as ec2.Vpc, 'DatabaseFlowLog', props, removalPolicy);
    }
    if (props.databaseVpc || (props.singleVpc && props.processingVpc)) {
      this.databaseSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    } else {
      this.databaseSubnets = { subnetGroupName: props.singleVpc ? 'isolated' : 'database' };
    }

    if (this.processingVpc !== this.databaseVpc && !props.processingVpc && !props.databaseVpc) {
      this.peeringConnection = this.peer();
    }

    if (this.endpointsEnabled) {
      this.processingVpc.addGatewayEndpoint('S3Endpoint', {
        service: ec2.GatewayVpcEndpointAwsService.S3,
        subnets: [this.processingSubnets],
      });
      (props.gatewayEndpoints ?? []).forEach((service) => {
        const name = service.name.split('.').pop()!;
        this.processingVpc.addGatewayEndpoint(`${name.charAt(0).toUpperCase()}${name.slice(1)}Endpoint`, { service, subnets: [this.processingSubnets] });
      });
      this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.processingVpc,
        description: 'Interface VPC endpoints of the pipeline: HTTPS from the processing VPC only',
        allowAllOutbound: false,
      });
      // A literal CIDR when we created the VPC (tokens can't be checked at synth).
      const cidr = props.processingVpc ? this.processingVpc.vpcCidrBlock : (props.processingCidr ?? '10.0.0.0/16');
      this.endpointSecurityGroup.addIngressRule(
        ec2.Peer.ipv4(cidr),
        ec2.Port.tcp(443),
        'HTTPS from the processing VPC',
      );
      const services = props.interfaceEndpoints ?? [
        ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
        ec2.InterfaceVpcEndpointAwsService.SNS,
        ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      ];
      services.forEach((s) => this.addInterfaceEndpoint(s));
    }
  }

  /** Whether the construct manages VPC endpoints. */
  public get vpcEndpointsEnabled(): boolean {
    return this.endpointsEnabled;
  }

  /**
   * Adds an interface endpoint to the processing VPC (once per service; a
   * second call for the same service returns the first endpoint). Does
   * nothing and returns undefined when `vpcEndpoints` is false.
   */
  public addInterfaceEndpoint(service: ec2.InterfaceVpcEndpointAwsService): ec2.InterfaceVpcEndpoint | undefined {
    if (!this.endpointsEnabled) {
      return undefined;
    }
    const existing = this.interfaceEndpointsByName.get(service.name);
    if (existing) {
      return existing;
    }
    const id = service.shortName.replace(/[^A-Za-z0-9]/g, '');
    const endpoint = this.processingVpc.addInterfaceEndpoint(`${id}Endpoint`, {
      service,
      subnets: this.processingSubnets,
      privateDnsEnabled: true,
      securityGroups: [this.endpointSecurityGroup!],
      open: false,
    });
    this.interfaceEndpointsByName.set(service.name, endpoint);
    return endpoint;
  }

  /** Names of the interface endpoint services created so far (e.g. `com.amazonaws.us-east-1.sns`). */
  public get interfaceEndpointServiceNames(): string[] {
    return [...this.interfaceEndpointsByName.keys()];
  }

  /**
   * The peering connection and its routes: what a cross-VPC security-group
   * rule must wait for. Empty without peering.
   */
  public get peeringDependables(): IDependable[] {
    return [...this.peeringDependencies];
  }

  private addFlowLog(vpc: ec2.Vpc, id: string, props: PipelineNetworkProps, removalPolicy: RemovalPolicy): void {
    const logGroup = new logs.LogGroup(this, `${id}Group`, {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.flowLogEncryptionKey,
      removalPolicy,
    });
    // The delivery role's statements go to a customer-managed policy, not an inline one.
    const role = new ManagedPolicyRole(vpc, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      description: 'VPC flow logs: deliver to the pipeline flow-log group',
    });
    vpc.addFlowLog(id, {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup, role),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }

  /**
   * Peers the two VPCs and routes only between the subnets that talk:
   * processing subnets <-> database subnets (per-subnet CIDRs, not whole VPCs).
   */
  private peer(): ec2.CfnVPCPeeringConnection {
    const peering = new ec2.CfnVPCPeeringConnection(this, 'Peering', {
      vpcId: this.processingVpc.vpcId,
      peerVpcId: this.databaseVpc.vpcId,
    });
    this.peeringDependencies.push(peering);
    const processing = this.processingVpc.selectSubnets(this.processingSubnets).subnets;
    const database = this.databaseVpc.selectSubnets(this.databaseSubnets).subnets;
    const route = (id: string, from: ec2.ISubnet[], to: ec2.ISubnet[]) => from.forEach((f, i) => to.forEach((t, j) => {
      this.peeringDependencies.push(new ec2.CfnRoute(this, `${id}${i}x${j}`, {
        routeTableId: f.routeTable.routeTableId,
        destinationCidrBlock: t.ipv4CidrBlock,
        vpcPeeringConnectionId: peering.ref,
      }));
    }));
    route('ToDatabase', processing, database);
    route('ToProcessing', database, processing);
    return peering;
  }
}

function validateNetworkProps(props: PipelineNetworkProps): void {
  const natGateways = props.natGateways;
  if (natGateways !== undefined && (!Number.isInteger(natGateways) || natGateways < 0)) {
    throw new Error(`natGateways must be a whole number >= 0 (got ${natGateways})`);
  }
  if (props.processingVpc && natGateways !== undefined) {
    throw new Error('natGateways applies only to a VPC the construct creates: remove it, or remove processingVpc');
  }
  if (props.processingVpc && props.processingCidr) {
    throw new Error('processingCidr applies only to a VPC the construct creates: remove it, or remove processingVpc');
  }
  if ((props.databaseVpc || props.singleVpc) && props.databaseCidr) {
    throw new Error('databaseCidr applies only to a database VPC the construct creates: remove it, or remove databaseVpc/singleVpc');
  }
  if (props.singleVpc && props.databaseVpc) {
    throw new Error('singleVpc and databaseVpc conflict: with singleVpc the database uses the processing VPC');
  }
  if (props.databaseVpc && !props.processingVpc) {
    throw new Error('databaseVpc requires processingVpc: the construct cannot peer a VPC it did not create');
  }
  if (props.vpcEndpoints === false && natGateways === 0) {
    throw new Error('vpcEndpoints: false needs NAT gateways (natGateways > 0): without either the processor cannot reach S3, Secrets Manager or SNS');
  }
  for (const [name, cidr] of [['processingCidr', props.processingCidr], ['databaseCidr', props.databaseCidr]] as const) {
    if (cidr !== undefined && !/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-8])$/.test(cidr)) {
      throw new Error(`${name} must be an IPv4 CIDR with a prefix between /16 and /28 (got '${cidr}')`);
    }
  }
  const p = props.processingCidr ?? '10.0.0.0/16';
  const d = props.databaseCidr ?? '10.1.0.0/16';
  if (!props.singleVpc && !props.processingVpc && cidrsOverlap(p, d)) {
    throw new Error(`processingCidr (${p}) and databaseCidr (${d}) overlap: peered VPCs need distinct ranges`);
  }
}

function cidrsOverlap(a: string, b: string): boolean {
  const parse = (c: string): [number, number] => {
    const [ip, bits] = c.split('/');
    const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits));
    const start = n - (n % size);
    return [start, start + size - 1];
  };
  const [a0, a1] = parse(a);
  const [b0, b1] = parse(b);
  return a0 <= b1 && b0 <= a1;
}
