import * as iam from 'aws-cdk-lib/aws-iam';
import { ProcessorBindContext } from './processor';
import { BACKUP_PREFIX, OUTPUT_PREFIXES, REJECTS_PREFIX } from '../shared/object-keys';

/**
 * The processor's data permissions, the same for every processor: read the
 * input objects, write only its own prefixes of the output and backup
 * buckets (`results/`, `rejects/`, `reports/`; delete only under `rejects/`), read the database secret, publish to the topic. Actions are
 * listed one by one (no `s3:*`-style wildcards); the only `*` in resources
 * is the object-key part of bucket ARNs, since keys are only known at run time.
 */
/** Every object ARN pattern the processor's policy names (for the cdk-nag acknowledgments). */
export function processorObjectArns(context: ProcessorBindContext): string[] {
  return [
    context.inputBucket.arnForObjects('*'),
    ...OUTPUT_PREFIXES.map((p) => context.outputBucket.arnForObjects(`${p}*`)),
    context.backupBucket.arnForObjects(`${BACKUP_PREFIX}*`),
  ];
}

export function grantProcessorAccess(role: iam.IRole, context: ProcessorBindContext): void {
  const input = context.inputBucket;
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'ReadInputObjects',
    actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'],
    resources: [input.arnForObjects('*')],
  }));
  // ListBucket turns a missing object into a clear 404 instead of a 403.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'ListInputBucket',
    actions: ['s3:ListBucket'],
    resources: [input.bucketArn],
  }));
  input.encryptionKey?.grantDecrypt(role);

  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'WriteResults',
    actions: ['s3:PutObject'],
    resources: OUTPUT_PREFIXES.map((p) => context.outputBucket.arnForObjects(`${p}*`)),
  }));
  // A clean new version of a key removes the rejects an earlier version left.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'RemoveStaleRejects',
    actions: ['s3:DeleteObject'],
    resources: [context.outputBucket.arnForObjects(`${REJECTS_PREFIX}*`)],
  }));
  context.outputBucket.encryptionKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');

  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'WriteBackups',
    actions: ['s3:PutObject', 's3:PutObjectTagging'],
    resources: [context.backupBucket.arnForObjects(`${BACKUP_PREFIX}*`)],
  }));
  context.backupBucket.encryptionKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');

  context.databaseSecret?.grantRead(role);

  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'PublishNotifications',
    actions: ['sns:Publish'],
    resources: [context.topic.topicArn],
  }));
  context.topicKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
}
