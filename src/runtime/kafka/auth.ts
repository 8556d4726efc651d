/**
 * From the sink's `auth` configuration to a client connection: TLS for every
 * mechanism but `plaintext`, SCRAM credentials and mutual-TLS certificates
 * read from Secrets Manager (the real AWS SDK client), MSK IAM tokens from
 * aws-msk-iam-sasl-signer-js, refreshed before they expire.
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild, as above
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { KafkaConnection } from './client';
import type { KafkaAuthConfig } from '../../shared/kafka-sink-config';
import { ConfigError } from '../contract/config';
import { errorMessage } from '../contract/logger';

/** An OAUTHBEARER token and when it expires (ms since the epoch). */
export interface OAuthToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** What `connectionFor` needs besides the configuration; tests replace the token maker and the CA. */
export interface AuthDeps {
  /** Reads the SCRAM and mutual-TLS secrets; default a client of the processor's region and credentials. */
  readonly secrets?: SecretsManagerClient;
  /**
   * Makes the OAUTHBEARER token of `iam`; default aws-msk-iam-sasl-signer-js
   * with the default credential chain (a test gives unsecured JWTs instead).
   */
  readonly iamToken?: (region: string) => Promise<OAuthToken>;
  /**
   * PEM of the CA to trust, instead of the system's, for `iam` (MSK's
   * certificates chain to a public CA, so only a test broker needs it).
   */
  readonly iamCaPem?: string;
}

/** A token is renewed when it has less than this left (MSK's live 15 minutes). */
const RENEW_BEFORE_MS = 60_000;

async function readSecret(secrets: SecretsManagerClient, arn: string, fields: readonly string[]): Promise<Record<string, string>> {
  let text: string | undefined;
  try {
    text = (await secrets.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }))).SecretString;
  } catch (err) {
    throw new Error(`Cannot read the Kafka secret ${arn}: ${errorMessage(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw new ConfigError(`The Kafka secret ${arn} is not JSON (expected ${fields.map((f) => `"${f}"`).join(', ')})`);
  }
  const values = parsed as Record<string, unknown>;
  const missing = fields.filter((f) => typeof values?.[f] !== 'string' || values[f] === '');
  if (missing.length > 0) throw new ConfigError(`The Kafka secret ${arn} has no ${missing.map((f) => `"${f}"`).join(', ')} (a string is expected)`);
  return values as Record<string, string>;
}

async function mskIamToken(region: string): Promise<OAuthToken> {
  const { token, expiryTime } = await generateAuthToken({ region });
  return { token, expiresAt: expiryTime };
}

/** Calls `make` again only when the last token is about to expire. */
function cachedToken(make: () => Promise<OAuthToken>): () => Promise<string> {
  let current: OAuthToken | undefined;
  return async () => {
    if (!current || current.expiresAt - Date.now() < RENEW_BEFORE_MS) {
      try {
        current = await make();
      } catch (err) {
        throw new Error(`Cannot make the MSK IAM token: ${errorMessage(err)}`);
      }
    }
    return current.token;
  };
}

const isMsk = (broker: string) => /\.amazonaws\.com(:\d+)?$/i.test(broker) || /\.amazonaws\.com\.cn(:\d+)?$/i.test(broker);

/** The connection options of `auth` for these brokers. */
export async function connectionFor(
  brokers: readonly string[], clientId: string, auth: KafkaAuthConfig, deps: AuthDeps = {},
): Promise<KafkaConnection> {
  const base = { brokers, clientId };
  const secrets = () => deps.secrets ?? new SecretsManagerClient({});
  switch (auth.mechanism) {
    case 'plaintext': {
      const msk = brokers.find(isMsk);
      if (msk) throw new ConfigError(`Kafka auth "plaintext" is refused for Amazon MSK broker ${msk}: use iam, scram-sha-512, mtls or tls`);
      return base;
    }
    case 'tls':
      return { ...base, tls: tlsOf(auth.caPem) };
    case 'scram-sha-512': {
      const s = await readSecret(secrets(), auth.secretArn, ['username', 'password']);
      return { ...base, tls: tlsOf(auth.caPem), sasl: { mechanism: 'scram-sha-512', username: s.username, password: s.password } };
    }
    case 'mtls': {
      const s = await readSecret(secrets(), auth.secretArn, ['certificate', 'privateKey']);
      return { ...base, tls: { ...tlsOf(auth.caPem), cert: s.certificate, key: s.privateKey } };
    }
    case 'iam': {
      const make = deps.iamToken ?? mskIamToken;
      return { ...base, tls: tlsOf(deps.iamCaPem), sasl: { mechanism: 'oauthbearer', token: cachedToken(() => make(auth.region)) } };
    }
    default:
      throw new ConfigError(`Kafka auth mechanism ${JSON.stringify((auth as { mechanism?: unknown }).mechanism)} is not one of plaintext, tls, scram-sha-512, mtls, iam`);
  }
}

function tlsOf(caPem: string | undefined) {
  // A given CA replaces the system's, as the table sink's --ca-file does: only brokers it signed are trusted.
  return caPem ? { ca: [caPem], rejectUnauthorized: true } : { rejectUnauthorized: true };
}
