import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from '../security/managed-policy-role';

/**
 * The role S3 replicates the backup bucket with: a customer-managed policy
 * naming exactly the replication actions, the two buckets and the two keys
 * (aws-cdk-lib's own replication role uses an inline policy with `kms:*`
 * wildcard actions). Call `grant()` once the source bucket exists.
 *
 * @internal
 */
export class BackupReplicationRole extends ManagedPolicyRole {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: 'S3 replication of the pipeline backup bucket',
    });
  }

  /** Adds the statements for replicating `source` (encrypted with `sourceKey`) to `destination`. */
  public grantReplication(source: s3.IBucket, destination: s3.IBucket, sourceKey?: kms.IKey): void {
    this.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadReplicationConfiguration',
      actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
      resources: [source.bucketArn],
    }));
    this.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadSourceVersions',
      actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
      resources: [source.arnForObjects('*')],
    }));
    this.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteReplicas',
      actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
      resources: [destination.arnForObjects('*')],
    }));
    if (sourceKey) {
      this.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'DecryptSourceObjects',
        actions: ['kms:Decrypt'],
        resources: [sourceKey.keyArn],
        conditions: { StringLike: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }));
    }
    if (sourceKey && destination.encryptionKey) {
      this.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'EncryptReplicas',
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [destination.encryptionKey.keyArn],
      }));
    }
  }
}
