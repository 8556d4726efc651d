/**
 * One small pg pool per process, kept across warm Lambda invocations, with the
 * schema migrated on first use. Connection failures name the server and hint
 * at the usual fix. A refused password (the secret was rotated) loads the
 * credentials again and retries once.
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { Pool, PoolClient } from 'pg';
import { ConnectionSettings, describeSettings } from './db-settings';
import { migrate } from './migrations';
import { Logger, silentLogger } from '../contract/logger';

/** Where connection settings come from; `invalidate` drops cached credentials (rotation). */
export interface SettingsProvider {
  get(): Promise<ConnectionSettings>;
  /**
   * Drops the cached settings, so the next `get` loads them again. With
   * `stale`, only if the cache still holds that object (callers that saw the
   * same failure at the same time then cause one load, not one each).
   */
  invalidate(stale?: ConnectionSettings): void;
}

/** Loads settings once, and again after `invalidate` or a failed load. */
export function cachedSettings(load: () => Promise<ConnectionSettings>): SettingsProvider {
  let cached: Promise<ConnectionSettings> | undefined;
  let loaded: ConnectionSettings | undefined;
  return {
    get: () => {
      if (!cached) {
        const pending: Promise<ConnectionSettings> = load().then((s) => {
          if (cached === pending) loaded = s;
          return s;
        }, (err) => {
          if (cached === pending) cached = undefined;
          throw err;
        });
        cached = pending;
        loaded = undefined;
      }
      return cached;
    },
    invalidate: (stale) => {
      if (stale && loaded !== stale) return;
      cached = undefined;
      loaded = undefined;
    },
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
/** `too_many_connections`: max_connections (less the superuser reserve) or the role's CONNECTION LIMIT reached. */
const TOO_MANY_CONNECTIONS = '53300';
/**
 * Connection errors caused by a refused password, with the settings that were
 * refused. Kept off the error object, so the password is never logged with it.
 */
const authFailures = new WeakMap<object, ConnectionSettings>();
const TLS_CODES = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED']);

/** Where in the retry after a refused password a connection error happened. */
type Retry = 'first' | 'refused-again' | 'unchanged';

/**
 * pg passes on errors from the net and tls modules, which are not always
 * `instanceof Error` of this realm (jest, vm contexts): read the message itself.
 */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : String(err);
}

function connectionError(settings: ConnectionSettings, err: unknown, retry: Retry): DatabaseConnectionError {
  return new DatabaseConnectionError(
    `Cannot connect to PostgreSQL at ${describeSettings(settings)}: ${messageOf(err)}${hint(err, retry)}`,
    { cause: err },
  );
}

function hint(err: unknown, retry: Retry): string {
  const code = (err as { code?: string }).code ?? '';
  const message = messageOf(err);
  if (/does not support SSL/i.test(message)) {
    return ' — the server does not offer TLS; only for a local server, disable TLS (PIPELINE_DB_SSL=disable or --ssl disable)';
  }
  if (TLS_CODES.has(code)) {
    return ' — TLS verification failed; point PIPELINE_DB_CA_FILE (or --ca-file) at the CA bundle that signed the server certificate';
  }
  if (code === AUTH_FAILED) {
    const again = 'the credentials were loaded again (the secret fetched afresh, if one is configured)';
    if (retry === 'refused-again') return ` — check the user name and password; ${again} and were refused too`;
    if (retry === 'unchanged') return ` — check the user name and password; ${again} and are unchanged`;
    return ' — check the user name and password (the secret may have been rotated)';
  }
  if (code === TOO_MANY_CONNECTIONS) {
    return ' — the server is at its connection limit (max_connections, or the role\'s CONNECTION LIMIT); the file is delivered again,'
      + ' and if this persists lower the processor\'s maxConcurrency or raise the limit';
  }
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

  /**
   * A pooled client on a migrated schema. Always `release()` it.
   *
   * When the server refuses the password (SQLSTATE 28P01), the credentials
   * are loaded again (the secret is fetched afresh) and the connection is
   * tried once more: after a rotation, a warm container's cached password no
   * longer works, and the first new connection would otherwise fail.
   */
  async connect(): Promise<PoolClient> {
    try {
      return await this.connectOnce('first');
    } catch (err) {
      const failed = authFailures.get(err as object);
      if (!failed) throw err;
      const server = describeSettings(failed);
      await this.discard(failed);
      const fresh = await this.settings.get();
      if (fresh.user === failed.user && fresh.password === failed.password) {
        this.log.warn('database password refused (SQLSTATE 28P01); loaded again, the credentials are unchanged, so not retrying', { server });
        throw connectionError(failed, (err as Error).cause, 'unchanged');
      }
      this.log.warn('database password refused (SQLSTATE 28P01); retrying once with the credentials loaded again (the secret was rotated?)', { server });
      const client = await this.connectOnce('refused-again');
      this.log.info('connected with the credentials loaded again', { server: describeSettings(fresh) });
      return client;
    }
  }

  async end(): Promise<void> {
    const state = this.state;
    this.state = undefined;
    if (state) await (await state.catch(() => undefined))?.pool.end();
  }

  private async connectOnce(retry: Retry): Promise<PoolClient> {
    const { pool, settings } = await this.ready(retry);
    return this.checkout(pool, settings, retry);
  }

  /** Ends the pool and drops the cached settings, if they are still the ones the server refused. */
  private async discard(failed: ConnectionSettings): Promise<void> {
    const state = this.state;
    const current = await state?.catch(() => undefined);
    if (current?.settings === failed && this.state === state) {
      this.state = undefined;
      // Not awaited: clients other callers still hold are ended when released.
      void current.pool.end().catch(() => undefined);
    }
    this.settings.invalidate(failed);
  }

  private ready(retry: Retry): Promise<{ pool: Pool; settings: ConnectionSettings }> {
    if (!this.state) {
      const state: Promise<{ pool: Pool; settings: ConnectionSettings }> = this.init(retry).catch((err) => {
        if (this.state === state) this.state = undefined;
        throw err;
      });
      this.state = state;
    }
    return this.state;
  }

  private async init(retry: Retry): Promise<{ pool: Pool; settings: ConnectionSettings }> {
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
    // A client in use emits 'error' too when its connection dies (server restarted, backend terminated),
    // even though the query in flight already fails with it, and the pool only listens while it is
    // idle: without this listener that event is an uncaught exception that ends the whole process.
    const inUse = (err: Error) => this.log.warn('database connection lost while in use', { error: messageOf(err) });
    pool.on('acquire', (client) => client.on('error', inUse));
    pool.on('release', (_err, client) => client.removeListener('error', inUse));
    try {
      const client = await this.checkout(pool, settings, retry);
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

  private async checkout(pool: Pool, settings: ConnectionSettings, retry: Retry): Promise<PoolClient> {
    try {
      return await pool.connect();
    } catch (err) {
      const error = connectionError(settings, err, retry);
      if ((err as { code?: string }).code === AUTH_FAILED) authFailures.set(error, settings);
      throw error;
    }
  }
}
