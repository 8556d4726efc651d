import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * Read access to one credentials secret: `secretsmanager:GetSecretValue` on
 * that secret only (its full ARN, or its partial ARN and the six-character
 * suffix Secrets Manager adds), and `kms:Decrypt` of its key through Secrets
 * Manager when it has a customer-managed one.
 *
 * @internal
 */
export function secretReadStatements(secret: secretsmanager.ISecret | undefined): iam.PolicyStatement[] {
  if (!secret) return [];
  const statements = [new iam.PolicyStatement({
    actions: ['secretsmanager:GetSecretValue'],
    resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
  })];
  if (secret.encryptionKey) {
    statements.push(new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [secret.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${secret.stack.region}.amazonaws.com` } },
    }));
  }
  return statements;
}
