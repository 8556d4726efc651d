import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * The pipeline's encryption key and the database's monitoring and backup
 * plan: what the HIPAA, NIST 800-53, PCI DSS and Serverless cdk-nag packs
 * check beyond AwsSolutions. Each costs a little; see the README's
 * Compliance section.
 */
export interface PipelineComplianceOptions {
  /**
   * Customer-managed KMS key that encrypts the pipeline's log groups, the
   * generated database secret, the buckets the construct creates (SSE-KMS
   * with S3 Bucket Keys, so S3 asks KMS for a data key per bucket and hour
   * rather than per object) and the notification topic. Bring your own key
   * to share one across pipelines; its key policy must then let
   * `logs.<region>.amazonaws.com` use it for this account's log groups and
   * `cloudwatch.amazonaws.com` use it for the topic (the construct adds
   * both statements only to a key it creates or that is defined in your app).
   *
   * @default - a key with yearly rotation is created (about $1 a month plus requests)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * RDS enhanced monitoring interval of the database the construct creates:
   * 1, 5, 10, 15, 30 or 60 seconds, or `Duration.seconds(0)` to turn it off.
   *
   * @default Duration.seconds(60)
   */
  readonly databaseMonitoringInterval?: Duration;

  /**
   * Put the database the construct creates in a daily AWS Backup plan.
   *
   * @default true
   */
  readonly databaseBackupPlan?: boolean;

  /**
   * How long the AWS Backup plan keeps each daily recovery point.
   *
   * @default Duration.days(35)
   */
  readonly databaseBackupPlanRetention?: Duration;
}
