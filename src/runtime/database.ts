/**
 * One small pg pool per process, kept across warm Lambda invocations, with the
 * schema migrated on first use. Connection failures name the server and hint
 * at the usual fix.
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { Pool, PoolClient } from 'pg';
import { ConnectionSettings, describeSettings } from './db-settings';
import { errorMessage, Logger, silentLogger } from './logger';
import { migrate } from './migrations';

/** Where connection settings come from; `invalidate` drops cached credentials (rotation). */
export interface SettingsProvider {
  get(): Promise<ConnectionSettings>;
  invalidate(): void;
}

/** Loads settings once, and again after `invalidate` or a failed load. */
export function cachedSettings(load: () => Promise<ConnectionSettings>): SettingsProvider {
  let cached: Promise<ConnectionSettings> | undefined;
  return {
    get: () => {
      cached ??= load().catch((err) => {
        cached = undefined;
        throw err;
      });
      return cached;
    },
    invalidate: () => { cached = undefined; },
  };
}

export class DatabaseConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseConnectionError';
  }
}

export interface DatabaseOptions {
  /** One file uses one connection at a time; 2 leaves room for a sink's side query. */
  readonly maxConnections?: number;
  readonly connectionTimeoutMillis?: number;
  readonly log?: Logger;
  /** Idempotent DDL of the configured sinks (their tables), run with the migrations. */
  readonly schemaStatements?: readonly string[];
}

const AUTH_FAILED = '28P01';
const TLS_CODES = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED']);

function hint(err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  const message = errorMessage(err);
  if (/does not support SSL/i.test(message)) {
    return ' — the server does not offer TLS; only for a local server, disable TLS (PIPELINE_DB_SSL=disable or --ssl disable)';
  }
  if (TLS_CODES.has(code)) {
    return ' — TLS verification failed; point PIPELINE_DB_CA_FILE (or --ca-file) at the CA bundle that signed the server certificate';
  }
  if (code === AUTH_FAILED) return ' — check the user name and password (the secret may have been rotated)';
  if (['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code) || /timeout/i.test(message)) {
    return ' — is the server running and reachable from here (security groups, routes, VPC peering)?';
  }
  return '';
}

export class Database {
  private state?: Promise<{ pool: Pool; settings: ConnectionSettings }>;
  private readonly log: Logger;

  constructor(private readonly settings: SettingsProvider, private readonly options: DatabaseOptions = {}) {
    this.log = options.log ?? silentLogger;
  }

  /** A pooled client on a migrated schema. Always `release()` it. */
  async connect(): Promise<PoolClient> {
    const { pool, settings } = await this.ready();
    return this.checkout(pool, settings);
  }

  async end(): Promise<void> {
    const state = this.state;
    this.state = undefined;
    if (state) await (await state.catch(() => undefined))?.pool.end();
  }

  private ready(): Promise<{ pool: Pool; settings: ConnectionSettings }> {
    this.state ??= this.init().catch((err) => {
      this.state = undefined;
      throw err;
    });
    return this.state;
  }

  private async init(): Promise<{ pool: Pool; settings: ConnectionSettings }> {
    const settings = await this.settings.get();
    const pool = new Pool({
      ...settings,
      max: this.options.maxConnections ?? 2,
      connectionTimeoutMillis: this.options.connectionTimeoutMillis ?? 10_000,
      idleTimeoutMillis: 60_000,
      keepAlive: true,
      application_name: 'cdk-data-pipeline',
    });
    // An idle client whose server went away emits here; unhandled, it would crash the process.
    pool.on('error', (err) => this.log.warn('idle database connection failed', { error: err.message }));
    try {
      const client = await this.checkout(pool, settings);
      try {
        const applied = await migrate(client, undefined, this.options.schemaStatements ?? []);
        if (applied.length) this.log.info('database schema migrated', { versions: applied });
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return { pool, settings };
  }

  private async checkout(pool: Pool, settings: ConnectionSettings): Promise<PoolClient> {
    try {
      return await pool.connect();
    } catch (err) {
      if ((err as { code?: string }).code === AUTH_FAILED) {
        this.settings.invalidate();
        void this.end();
      }
      throw new DatabaseConnectionError(
        `Cannot connect to PostgreSQL at ${describeSettings(settings)}: ${errorMessage(err)}${hint(err)}`,
        { cause: err },
      );
    }
  }
}
