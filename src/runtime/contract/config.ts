/**
 * The processor's settings, read once from the environment the construct sets
 * (names in src/shared/env.ts). Every problem is reported with the variable
 * to fix.
 */
import * as fs from 'fs';
import { DEFAULT_METRICS_NAMESPACE, ENV } from '../../shared/env';
import { SinkConfig } from '../../shared/sink-config';

export type SslMode = 'verify-full' | 'disable';

export interface RuntimeConfig {
  readonly pipelineName: string;
  readonly outputBucket: string;
  readonly backupBucket: string;
  /** No topic: no notifications. */
  readonly topicArn?: string;
  readonly metricsNamespace: string;
  readonly sinks: SinkConfig[];
  readonly s3ForcePathStyle: boolean;
  /** The PostgreSQL database (ledger and table sinks); undefined with the DynamoDB ledger and no database set. */
  readonly database?: DatabaseConfig;
  /** The DynamoDB ledger's table (`PIPELINE_LEDGER_TABLE`); undefined: the PostgreSQL ledger. */
  readonly ledgerTable?: string;
  /** `PIPELINE_LEDGER_LEASE_SECONDS` in milliseconds; undefined: the default. */
  readonly ledgerLeaseMs?: number;
  /**
   * Rows per checkpointed chunk (`PIPELINE_CHECKPOINT_EVERY`); undefined
   * when unset. 0 means one transaction per file.
   */
  readonly checkpointEvery?: number;
}

export interface DatabaseConfig {
  /** Wins over `secretArn` (CLI and tests). */
  readonly url?: string;
  readonly secretArn?: string;
  /** Replaces the `dbname` of the secret. */
  readonly databaseName?: string;
  /** Undefined: from the URL's `sslmode`, else `verify-full`. */
  readonly sslMode?: SslMode;
  readonly caFile?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`Environment variable ${name} is not set`);
  return value;
}

function optional(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

export function parseSslMode(value: string | undefined, source: string): SslMode | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'verify-full' || value === 'disable') return value;
  throw new ConfigError(`${source} must be "verify-full" or "disable", got "${value}"`);
}

/** `source` names where the JSON came from in errors (the variable, or the file and its variable). */
export function parseSinkConfigs(json: string | undefined, source: string = ENV.SINKS): SinkConfig[] {
  if (!json) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`${source} must be a JSON array of sink configurations`);
  parsed.forEach((sink, i) => {
    if (typeof sink !== 'object' || sink === null || typeof (sink as { kind?: unknown }).kind !== 'string') {
      throw new ConfigError(`${source}[${i}] must be an object with a "kind"`);
    }
  });
  return parsed as SinkConfig[];
}

/** Where the sink configuration comes from, as errors name it: `PIPELINE_SINKS`, or the file and its variable. */
export function sinkConfigSource(env: Env): string {
  const file = optional(env, ENV.SINKS_FILE);
  return file ? `${file} (${ENV.SINKS_FILE})` : ENV.SINKS;
}

/** The sink configuration, inline (PIPELINE_SINKS) or in a file (PIPELINE_SINKS_FILE), never both. */
export function readSinkConfigs(env: Env): SinkConfig[] {
  const inline = optional(env, ENV.SINKS);
  const file = optional(env, ENV.SINKS_FILE);
  if (inline && file) throw new ConfigError(`Set ${ENV.SINKS} or ${ENV.SINKS_FILE}, not both`);
  if (!file) return parseSinkConfigs(inline);
  let json: string;
  try {
    json = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${ENV.SINKS_FILE} names ${file}, which cannot be read: ${(err as Error).message}`);
  }
  return parseSinkConfigs(json, sinkConfigSource(env));
}

/**
 * A whole number of rows >= 0 (0: one transaction per file), as
 * `PIPELINE_CHECKPOINT_EVERY` and `--checkpoint-every` take it. `source`
 * names the variable or flag in the error.
 */
export function parseCheckpointEvery(value: string | undefined, source: string): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const n = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(n)) {
    throw new ConfigError(`${source} must be a whole number of rows >= 0 (0: one transaction per file), got ${JSON.stringify(value)}`);
  }
  return n;
}

export function readDatabaseConfig(env: Env): DatabaseConfig {
  const url = optional(env, ENV.DATABASE_URL);
  const secretArn = optional(env, ENV.DB_SECRET_ARN);
  if (!url && !secretArn) {
    throw new ConfigError(`Set ${ENV.DB_SECRET_ARN} (Secrets Manager secret of the database) or ${ENV.DATABASE_URL}`);
  }
  return {
    url,
    secretArn,
    databaseName: optional(env, ENV.DB_NAME),
    sslMode: parseSslMode(optional(env, ENV.DB_SSL), ENV.DB_SSL),
    caFile: optional(env, ENV.DB_CA_FILE),
  };
}

export function readRuntimeConfig(env: Env = process.env): RuntimeConfig {
  const ledgerTable = optional(env, ENV.LEDGER_TABLE);
  const hasDatabase = !!(optional(env, ENV.DATABASE_URL) || optional(env, ENV.DB_SECRET_ARN));
  return {
    pipelineName: optional(env, ENV.PIPELINE_NAME) ?? 'cdk-data-pipeline',
    outputBucket: required(env, ENV.OUTPUT_BUCKET),
    backupBucket: required(env, ENV.BACKUP_BUCKET),
    topicArn: optional(env, ENV.TOPIC_ARN),
    metricsNamespace: optional(env, ENV.METRICS_NAMESPACE) ?? DEFAULT_METRICS_NAMESPACE,
    sinks: readSinkConfigs(env),
    s3ForcePathStyle: optional(env, ENV.S3_FORCE_PATH_STYLE) === 'true',
    // The DynamoDB ledger needs no database; the PostgreSQL one does.
    ...(ledgerTable && !hasDatabase ? {} : { database: readDatabaseConfig(env) }),
    ...(ledgerTable ? { ledgerTable } : {}),
    ...leaseOf(optional(env, ENV.LEDGER_LEASE_SECONDS)),
    checkpointEvery: parseCheckpointEvery(optional(env, ENV.CHECKPOINT_EVERY), ENV.CHECKPOINT_EVERY),
  };
}

function leaseOf(value: string | undefined): { ledgerLeaseMs?: number } {
  if (value === undefined) return {};
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
    throw new ConfigError(`${ENV.LEDGER_LEASE_SECONDS} must be a number of seconds from 1 to 3600, got ${JSON.stringify(value)}`);
  }
  return { ledgerLeaseMs: Math.round(seconds * 1000) };
}
