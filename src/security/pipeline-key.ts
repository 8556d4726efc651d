import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Creates the pipeline's customer-managed key (rotated yearly) that encrypts
 * its log groups, the database secret, the buckets (with S3 Bucket Keys) and
 * the notification topic. CloudWatch Logs may use it only for log groups of
 * this account and region (the encryption-context condition AWS documents).
 *
 * @internal
 */
export function createPipelineKey(scope: Construct, id: string, removalPolicy: RemovalPolicy): kms.Key {
  const key = new kms.Key(scope, id, {
    description: 'cdk-data-pipeline: encrypts the pipeline log groups, database secret, buckets and topic',
    enableKeyRotation: true,
    removalPolicy,
  });
  allowCloudWatchLogs(key);
  return key;
}

/**
 * Lets CloudWatch Logs of the key's region encrypt this account's log groups
 * with `key` (no-op for an imported key, whose policy is its owner's to set).
 *
 * @internal
 */
export function allowCloudWatchLogs(key: kms.IKey): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchLogsOfThisAccount',
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${stack.region}:${stack.account}:log-group:*` },
    },
  }));
}
