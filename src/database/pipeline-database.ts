import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IDependable } from 'constructs';

/**
 * Properties of a {@link PipelineDatabase}.
 */
export interface PipelineDatabaseProps {
  /** VPC of the database (its isolated subnets by default). */
  readonly vpc: ec2.IVpc;

  /**
   * Subnets of the database.
   *
   * @default - the VPC's isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Bring your own database instance. `secret` is then required, and the
   * instance's parameters (TLS, backups, encryption) are yours to manage.
   *
   * @default - an RDS PostgreSQL instance is created
   */
  readonly instance?: rds.IDatabaseInstance;

  /**
   * Credentials of `instance`: a secret with `host`, `port`, `username`,
   * `password` and `dbname` keys (the shape RDS generates).
   *
   * @default - generated with the instance
   */
  readonly secret?: secretsmanager.ISecret;

  /**
   * PostgreSQL engine version (16 or newer).
   *
   * @default rds.PostgresEngineVersion.VER_17_9
   */
  readonly engineVersion?: rds.PostgresEngineVersion;

  /**
   * Instance type.
   *
   * @default t4g.small
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Run a standby in a second availability zone.
   *
   * @default true
   */
  readonly multiAz?: boolean;

  /**
   * Initial storage in GiB (gp3, grows automatically up to `maxAllocatedStorage`).
   *
   * @default 20
   */
  readonly allocatedStorage?: number;

  /**
   * Upper limit for storage autoscaling in GiB.
   *
   * @default 100
   */
  readonly maxAllocatedStorage?: number;

  /**
   * Name of the database the pipeline uses. For an instance the construct
   * creates, the database created on it. For your own `instance`, it
   * overrides the `dbname` of `secret`.
   *
   * @default - 'pipeline' for a created instance; the secret's `dbname` for your own instance
   */
  readonly databaseName?: string;

  /**
   * Port the database listens on.
   *
   * @default 5432
   */
  readonly port?: number;

  /**
   * How long automated backups are kept (at least 7 days).
   *
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;

  /**
   * Protect the instance from deletion.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * What happens to the instance when it leaves the stack.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * KMS key for storage encryption (storage is always encrypted).
   *
   * @default - the AWS managed key for RDS
   */
  readonly storageEncryptionKey?: kms.IKey;

  /**
   * How often the generated credentials are rotated.
   *
   * @default Duration.days(30)
   */
  readonly rotationInterval?: Duration;

  /**
   * VPC and subnets of the rotation function, which needs to reach both the
   * database and the Secrets Manager API (for example the processing subnets,
   * which have the Secrets Manager endpoint or NAT).
   *
   * @default - no rotation is configured
   */
  readonly rotationVpc?: ec2.IVpc;

  /**
   * Subnets of the rotation function inside `rotationVpc`.
   *
   * @default - the private subnets of `rotationVpc`
   */
  readonly rotationSubnets?: ec2.SubnetSelection;

  /**
   * Retention of the PostgreSQL logs exported to CloudWatch Logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * RDS PostgreSQL for the pipeline: isolated subnets, storage encrypted,
 * TLS forced (`rds.force_ssl=1`), credentials generated in Secrets Manager
 * and rotated, automated backups, deletion protection, IAM authentication,
 * Performance Insights and log exports. Ingress is closed until
 * `allowFrom()` opens the database port to a security group.
 */
export class PipelineDatabase extends Construct {
  /** The database instance (created or brought). */
  public readonly instance: rds.IDatabaseInstance;
  /** Secret with host, port, username, password and dbname. */
  public readonly secret: secretsmanager.ISecret;
  /** Security group the ingress rules are added to. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** Port the database listens on. */
  public readonly port: number;
  /**
   * Name of the database the pipeline uses, when the construct decides it:
   * the created database, or the `databaseName` given for your own instance.
   * Undefined when the processor uses the `dbname` of your instance's secret.
   */
  public readonly databaseName?: string;
  /** The secret rotation, when the construct configured one. */
  public readonly rotation?: secretsmanager.SecretRotation;

  constructor(scope: Construct, id: string, props: PipelineDatabaseProps) {
    super(scope, id);
    validateDatabaseProps(props);

    if (props.instance) {
      // The secret of an instance you bring names its database (`dbname`);
      // only an explicit databaseName overrides it.
      this.databaseName = props.databaseName;
      this.instance = props.instance;
      this.secret = props.secret!;
      const groups = props.instance.connections.securityGroups;
      if (groups.length === 0) {
        throw new Error('instance has no security group: import it with rds.DatabaseInstance.fromDatabaseInstanceAttributes({ securityGroups: [...] })');
      }
      this.securityGroup = groups[0];
      this.port = Token.isUnresolved(props.instance.dbInstanceEndpointPort)
        ? (props.port ?? 5432)
        : Number(props.instance.dbInstanceEndpointPort);
      return;
    }

    this.databaseName = props.databaseName ?? 'pipeline';
    this.port = props.port ?? 5432;
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    let subnetCount = 0;
    try {
      subnetCount = props.vpc.selectSubnets(vpcSubnets).subnetIds.length;
    } catch {
      subnetCount = 0;
    }
    if (subnetCount === 0) {
      throw new Error('the database needs isolated (PRIVATE_ISOLATED) subnets and its VPC has none: add them to the VPC, pass a databaseVpc that has them, or bring your own databaseInstance');
    }
    const engine = rds.DatabaseInstanceEngine.postgres({ version: props.engineVersion ?? rds.PostgresEngineVersion.VER_17_9 });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Pipeline database: TLS required, connections and slow statements logged',
      parameters: {
        'rds.force_ssl': '1',
        'ssl_min_protocol_version': 'TLSv1.2',
        'log_connections': '1',
        'log_disconnections': '1',
        'log_min_duration_statement': '5000',
      },
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Pipeline database: ingress only from the pipeline processor and bastion',
      allowAllOutbound: false,
    });
    this.securityGroup = securityGroup;

    const instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      vpc: props.vpc,
      vpcSubnets,
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL),
      credentials: rds.Credentials.fromGeneratedSecret('pipeline_admin'),
      databaseName: this.databaseName,
      port: this.port,
      multiAz: props.multiAz ?? true,
      allocatedStorage: props.allocatedStorage ?? 20,
      maxAllocatedStorage: props.maxAllocatedStorage ?? 100,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      storageEncryptionKey: props.storageEncryptionKey,
      parameterGroup,
      securityGroups: [securityGroup],
      publiclyAccessible: false,
      iamAuthentication: true,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      backupRetention: props.backupRetention ?? Duration.days(7),
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      cloudwatchLogsRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      copyTagsToSnapshot: true,
    });
    this.instance = instance;
    this.secret = instance.secret!;

    if (props.rotationVpc) {
      this.rotation = new secretsmanager.SecretRotation(this, 'Rotation', {
        application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
        secret: this.secret,
        target: instance,
        vpc: props.rotationVpc,
        vpcSubnets: props.rotationSubnets,
        automaticallyAfter: props.rotationInterval ?? Duration.days(30),
        excludeCharacters: " %+~`#$&*()|[]{}:;<>?!'/@\"\\",
      });
    }
  }

  /**
   * Opens the database port to `peer`'s security group (ingress on the
   * database, egress on the peer). When the peer is in another VPC, pass the
   * peering connection and its routes as `dependsOn`: a security group can
   * only reference a peer VPC's group over an active peering connection.
   */
  public allowFrom(id: string, peer: ec2.ISecurityGroup, description: string, dependsOn?: IDependable[]): void {
    const ingress = new ec2.CfnSecurityGroupIngress(this, id, {
      groupId: this.securityGroup.securityGroupId,
      sourceSecurityGroupId: peer.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: this.port,
      toPort: this.port,
      description,
    });
    (dependsOn ?? []).forEach((d) => ingress.node.addDependency(d));
    // And the matching egress from the peer, whose outbound traffic is closed by default.
    const egress = new ec2.CfnSecurityGroupEgress(this, `${id}Egress`, {
      groupId: peer.securityGroupId,
      destinationSecurityGroupId: this.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: this.port,
      toPort: this.port,
      description: `To the pipeline database (${description})`,
    });
    (dependsOn ?? []).forEach((d) => egress.node.addDependency(d));
  }

  /** ARN of the database's secret, for IAM policies. */
  public get secretArn(): string {
    return this.secret.secretArn;
  }

  /** The region-qualified hostname of the instance. */
  public get endpointAddress(): string {
    return this.instance.dbInstanceEndpointAddress;
  }

}

function validateDatabaseProps(props: PipelineDatabaseProps): void {
  if (props.instance && !props.secret) {
    throw new Error('instance requires secret: pass the Secrets Manager secret that holds its credentials');
  }
  if (props.secret && !props.instance) {
    throw new Error('secret is only used with instance: remove it, or also pass the instance it belongs to');
  }
  if (props.instance) {
    const ignored = (['engineVersion', 'instanceType', 'multiAz', 'allocatedStorage', 'maxAllocatedStorage', 'backupRetention',
      'deletionProtection', 'storageEncryptionKey', 'rotationVpc'] as const).filter((k) => props[k] !== undefined);
    if (ignored.length > 0) {
      throw new Error(`${ignored.join(', ')} configure a database the construct creates and conflict with instance: remove them`);
    }
  }
  if (props.backupRetention && props.backupRetention.toDays() < 7) {
    throw new Error(`backupRetention must be at least 7 days (got ${props.backupRetention.toDays()})`);
  }
  const major = props.engineVersion ? Number(props.engineVersion.postgresMajorVersion) : 17;
  if (major < 16) {
    throw new Error(`engineVersion must be PostgreSQL 16 or newer (got ${props.engineVersion!.postgresFullVersion})`);
  }
  if (props.port !== undefined && (!Number.isInteger(props.port) || props.port < 1150 || props.port > 65535)) {
    throw new Error(`port must be a whole number between 1150 and 65535 (got ${props.port})`);
  }
  validateDatabaseName(props.databaseName, !props.instance);
  if (props.allocatedStorage !== undefined && props.maxAllocatedStorage !== undefined && props.maxAllocatedStorage < props.allocatedStorage) {
    throw new Error(`maxAllocatedStorage (${props.maxAllocatedStorage}) must be >= allocatedStorage (${props.allocatedStorage})`);
  }
}

/**
 * PostgreSQL's rules for an unquoted identifier (at most 63 bytes, letters,
 * digits, `_` and `$`, not starting with a digit or `$`); RDS is stricter for
 * the database it creates: a letter first, no `$`.
 */
function validateDatabaseName(name: string | undefined, created: boolean): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  const rule = created ? /^[A-Za-z][A-Za-z0-9_]{0,62}$/ : /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
  if (!rule.test(name)) {
    throw new Error(created
      ? `databaseName must be 1-63 characters, start with a letter and contain only letters, digits and underscores (got '${name}')`
      : `databaseName must be a PostgreSQL identifier: 1-63 characters, letters, digits, underscores or $, not starting with a digit or $ (got '${name}')`);
  }
}
