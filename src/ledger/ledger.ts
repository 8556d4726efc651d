import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { addBackupPlan } from '../database/database-backup';
import { ENV } from '../shared/env';

/** Options of `Ledger.dynamoDb()`. */
export interface DynamoDbLedgerOptions {
  /**
   * Bring your own table. It must have a string partition key `pk` and a
   * string sort key `sk`; turn on its TTL on the attribute `expiresAt`
   * (the records of abandoned checkpointed loads expire through it).
   *
   * @default - an on-demand table encrypted with the pipeline's key, with point-in-time recovery and TTL on `expiresAt`
   */
  readonly table?: dynamodb.ITable;

  /**
   * Removal policy of the table the construct creates.
   *
   * @default - the pipeline's `removalPolicy` (RETAIN by default)
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Put the table the construct creates in a daily AWS Backup plan (03:00
   * UTC, in a vault of its own encrypted with the pipeline key), besides its
   * point-in-time recovery.
   *
   * @default true
   */
  readonly backupPlan?: boolean;

  /**
   * How long the backup plan keeps each daily backup.
   *
   * @default Duration.days(35)
   */
  readonly backupPlanRetention?: Duration;
}

/** What the pipeline gives a ledger when it binds it. */
export interface LedgerBindOptions {
  /** The pipeline's KMS key (encryption at rest of a table the ledger creates). */
  readonly encryptionKey: kms.IKey;
  /** The pipeline's removal policy. */
  readonly removalPolicy: RemovalPolicy;
}

/** A bound ledger. */
export interface LedgerConfig {
  /**
   * True when the ledger is the `file_metadata` table of the pipeline's
   * PostgreSQL database (which the pipeline then creates or is given).
   */
  readonly inDatabase: boolean;
  /**
   * The DynamoDB table of the ledger.
   *
   * @default - none: the ledger is in the database
   */
  readonly table?: dynamodb.ITable;
  /** Environment the processor's program reads to find the ledger. */
  readonly environment: { [key: string]: string };
}

/**
 * Where the pipeline records each file version: its claim (so each version
 * is processed exactly once), attempts, outcome, notification and the
 * checkpoints of long loads. Pick with the static factories.
 *
 * | | `Ledger.postgres()` | `Ledger.dynamoDb()` |
 * |---|---|---|
 * | needs | the pipeline's RDS PostgreSQL (created or yours), its VPC and secret | a DynamoDB table (on demand) |
 * | sinks | any (`Sink.postgresTable()` loads rows in the ledger's transaction) | sinks outside the database: `Sink.report()`, `Sink.kafka()` |
 * | a crashed run's file is retried | at once (its locks die with its session) | when its lease expires (60 s) |
 * | cost when idle | the database instance | none (pay per request) |
 */
export abstract class Ledger {
  /**
   * The `file_metadata` table in the pipeline's PostgreSQL database: the
   * default, and required by `Sink.postgresTable()`, whose rows commit in
   * the same transaction as the file's record.
   */
  public static postgres(): Ledger {
    return new PostgresLedger();
  }

  /**
   * A DynamoDB table: for pipelines without a database (aggregate reports
   * to S3, Kafka). Claims are conditional writes with leases that expire, so
   * a crashed run's file is taken over by the next delivery once its lease
   * (60 s) has run out. With this ledger and no `Sink.postgresTable()`, the
   * pipeline creates no database, database VPC, peering, secret or bastion.
   *
   * @param options - the table's settings; each has a default
   */
  public static dynamoDb(options: DynamoDbLedgerOptions = {}): Ledger {
    return new DynamoDbLedger(options);
  }

  /** Creates what the ledger needs. */
  public abstract bind(scope: Construct, options: LedgerBindOptions): LedgerConfig;

  /** Gives the processor's role what the ledger needs (the database secret is granted by the pipeline). */
  public abstract grantProcessor(grantee: iam.IGrantable): void;
}

class PostgresLedger extends Ledger {
  public bind(_scope: Construct, _options: LedgerBindOptions): LedgerConfig {
    return { inDatabase: true, environment: {} };
  }

  public grantProcessor(_grantee: iam.IGrantable): void {
    // The pipeline grants the database secret and opens the database port.
  }
}

/** The item actions the runtime's DynamoDB ledger uses (src/runtime/ledger/dynamodb/). */
const LEDGER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];

class DynamoDbLedger extends Ledger {
  private table?: dynamodb.ITable;

  constructor(private readonly options: DynamoDbLedgerOptions) {
    super();
  }

  public bind(scope: Construct, options: LedgerBindOptions): LedgerConfig {
    if (this.table) throw new Error('Ledger.dynamoDb(): this ledger is already bound to a pipeline; create one per pipeline');
    this.table = this.options.table ?? new dynamodb.Table(scope, 'LedgerTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: options.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      deletionProtection: (this.options.removalPolicy ?? options.removalPolicy) === RemovalPolicy.RETAIN,
      removalPolicy: this.options.removalPolicy ?? options.removalPolicy,
    });
    if (!this.options.table && (this.options.backupPlan ?? true)) {
      addBackupPlan(scope, 'LedgerTable', backup.BackupResource.fromDynamoDbTable(this.table), {
        retention: this.options.backupPlanRetention ?? Duration.days(35),
        encryptionKey: options.encryptionKey,
        removalPolicy: this.options.removalPolicy ?? options.removalPolicy,
      });
    }
    return { inDatabase: false, table: this.table, environment: { [ENV.LEDGER_TABLE]: this.table.tableName } };
  }

  public grantProcessor(grantee: iam.IGrantable): void {
    if (!this.table) throw new Error('Ledger.dynamoDb(): grantProcessor() before bind()');
    // Item actions on this table only (TransactWriteItems is authorised per item action).
    this.table.grant(grantee, ...LEDGER_ACTIONS);
    this.table.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
  }
}
