import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * The database of a pipeline, as `CdkPipelineProps` takes it (flat): bring
 * your own instance and secret, or shape the one the construct creates.
 */
export interface PipelineDatabaseOptions {
  /**
   * Bring your own RDS PostgreSQL instance (requires `databaseSecret`).
   *
   * @default - created
   */
  readonly databaseInstance?: rds.IDatabaseInstance;

  /**
   * Credentials of `databaseInstance` (host, port, username, password, dbname).
   *
   * @default - generated and rotated
   */
  readonly databaseSecret?: secretsmanager.ISecret;

  /**
   * Name of the database the pipeline uses. For the instance the construct
   * creates, the database created on it. With `databaseInstance`, it
   * overrides the `dbname` of `databaseSecret`.
   *
   * @default - 'pipeline' for a created instance; the `dbname` of `databaseSecret` for your own instance
   */
  readonly databaseName?: string;

  /**
   * Database instance type.
   *
   * @default t4g.small
   */
  readonly databaseInstanceType?: ec2.InstanceType;

  /**
   * PostgreSQL version (16 or newer).
   *
   * @default rds.PostgresEngineVersion.VER_17_9
   */
  readonly databaseEngineVersion?: rds.PostgresEngineVersion;

  /**
   * Multi-AZ database.
   *
   * @default true
   */
  readonly multiAz?: boolean;

  /**
   * Initial database storage in GiB.
   *
   * @default 20
   */
  readonly allocatedStorage?: number;

  /**
   * Deletion protection of the database.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * What happens to the database when it leaves the stack.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly databaseRemovalPolicy?: RemovalPolicy;
}
