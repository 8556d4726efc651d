/** Database credentials from the Secrets Manager secret RDS generates. */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../contract/config';
import { RdsSecret } from '../ledger/db-settings';

export async function fetchRdsSecret(client: SecretsManagerClient, secretId: string): Promise<RdsSecret> {
  // AWSCURRENT is what Secrets Manager returns without a stage too; named here
  // because rotation moves it (never read AWSPENDING), and moto needs it named
  // to follow UpdateSecretVersionStage.
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
  if (!out.SecretString) throw new ConfigError(`The database secret ${secretId} has no SecretString`);
  try {
    return JSON.parse(out.SecretString) as RdsSecret;
  } catch {
    throw new ConfigError(`The database secret ${secretId} is not JSON (expected host, port, username, password, dbname)`);
  }
}
