import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

/** Options of the AWS Backup plan of a database the construct creates. @internal */
export interface DatabaseBackupPlanOptions {
  readonly retention: Duration;
  readonly encryptionKey?: kms.IKey;
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A daily AWS Backup plan (03:00 UTC, kept `retention`) for `instance`, in a
 * vault of its own. Besides RDS's automated backups (point-in-time restore
 * within `backupRetention`), the plan keeps restorable snapshots longer and
 * puts the instance under AWS Backup's reporting, which the compliance
 * packs' RDSInBackupPlan expects.
 *
 * @internal
 */
export function addDatabaseBackupPlan(scope: Construct, instance: rds.DatabaseInstance, options: DatabaseBackupPlanOptions): backup.BackupPlan {
  return addBackupPlan(scope, 'Database', backup.BackupResource.fromRdsDatabaseInstance(instance), options);
}

/**
 * The same daily plan for any resource AWS Backup takes (the DynamoDB
 * ledger's table: the packs' DynamoDBInBackupPlan).
 *
 * @internal
 */
export function addBackupPlan(
  scope: Construct, selection: string, resource: backup.BackupResource, options: DatabaseBackupPlanOptions,
): backup.BackupPlan {
  const vault = new backup.BackupVault(scope, 'BackupVault', {
    encryptionKey: options.encryptionKey,
    // Recovery points outlive the stack unless asked otherwise: a vault with
    // recovery points cannot be deleted anyway.
    removalPolicy: options.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  const plan = new backup.BackupPlan(scope, 'BackupPlan', {
    backupVault: vault,
    backupPlanRules: [new backup.BackupPlanRule({
      ruleName: 'Daily',
      scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }),
      startWindow: Duration.hours(1),
      completionWindow: Duration.hours(8),
      deleteAfter: options.retention,
    })],
  });
  plan.addSelection(selection, {
    resources: [resource],
    allowRestores: false,
  });
  return plan;
}
