import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IDependable } from 'constructs';
import { addDatabaseBackupPlan } from './database-backup';
import { validateDatabaseProps } from './database-validation';

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
   * KMS key of the generated credentials' secret.
   *
   * @default - the AWS managed key for Secrets Manager
   */
  readonly secretEncryptionKey?: kms.IKey;

  /**
   * Interval of RDS enhanced monitoring (OS metrics such as memory, swap and
   * per-process CPU, sent to the `RDSOSMetrics` log group): 1, 5, 10, 15, 30
   * or 60 seconds, or `Duration.seconds(0)` to turn it off. Billed as
   * CloudWatch Logs ingestion and storage: cents per month at 60 seconds,
   * about 60 times that at 1 second.
   *
   * @default Duration.seconds(60)
   */
  readonly monitoringInterval?: Duration;

  /**
   * Put the instance in a daily AWS Backup plan (in a vault of its own,
   * encrypted with `backupPlanKey`), besides RDS's automated backups. Billed
   * as AWS Backup snapshot storage (about $0.095 per GB-month).
   *
   * @default true
   */
  readonly backupPlan?: boolean;

  /**
   * How long the AWS Backup plan keeps each daily recovery point.
   *
   * @default Duration.days(35)
   */
  readonly backupPlanRetention?: Duration;

  /**
   * KMS key of the AWS Backup vault.
   *
   * @default - the AWS managed key for AWS Backup
   */
  readonly backupPlanKey?: kms.IKey;

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
  /** The AWS Backup plan of the created instance, unless disabled. */
  public readonly backupPlan?: backup.BackupPlan;

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
    const monitoringInterval = props.monitoringInterval ?? Duration.seconds(60);
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
      credentials: rds.Credentials.fromGeneratedSecret('pipeline_admin', { encryptionKey: props.secretEncryptionKey }),
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
      monitoringInterval: monitoringInterval.toSeconds() > 0 ? monitoringInterval : undefined,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      cloudwatchLogsRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      copyTagsToSnapshot: true,
    });
    this.instance = instance;
    this.secret = instance.secret!;
    if (props.backupPlan ?? true) {
      this.backupPlan = addDatabaseBackupPlan(this, instance, {
        retention: props.backupPlanRetention ?? Duration.days(35),
        encryptionKey: props.backupPlanKey,
        removalPolicy: props.removalPolicy,
      });
    }

    if (props.rotationVpc) {
      this.rotation = new secretsmanager.SecretRotation(this, 'Rotation', {
        application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
        secret: this.secret,
        // The database's own group and literal port: the instance's
        // connections carry its port as a token, which rule checkers cannot
        // tell from SSH (22) or other common ports.
        target: { connections: new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(this.port) }) },
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
   *
   * @param id - scope-unique id of the rules
   * @param peer - security group allowed in
   * @param description - description of the rules
   * @param dependsOn - what the rules wait for, e.g. the peering connection and its routes; by default nothing
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
