/**
 * A PostgreSQL server of its own for a fault test file: one the test may
 * restart (`pg_ctl restart -m immediate`, a crash and recovery), fill to its
 * connection limit or reconfigure without disturbing the shared server of
 * globalSetup that every other test file uses.
 *
 * Started with pg_ctl (so that pg_ctl can restart it), trust authentication
 * by default or scram-sha-256 passwords for TCP (`passwords: true`, for the
 * secret rotation tests). The test's own administration goes through the
 * Unix socket as the superuser. Every command runs asynchronously: the
 * runtime under test keeps running in the same process while the server is
 * restarted under it.
 */
import { execFile, execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { Client } from 'pg';
import { findPgBin, freePort } from './services';

const run = promisify(execFile);
const isRoot = () => process.getuid?.() === 0;

/** initdb, pg_ctl and postgres refuse to run as root. */
function asPostgres(cmd: string, args: string[]): { cmd: string; args: string[] } {
  return isRoot() ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args };
}

export interface FaultPostgresOptions {
  /** `max_connections` (default 30); `superuser_reserved_connections` stays 3. */
  readonly maxConnections?: number;
  /** scram-sha-256 for TCP connections instead of trust. */
  readonly passwords?: boolean;
}

export interface FaultPostgres {
  readonly port: number;
  /** Runs SQL as the superuser over the Unix socket, in `database` (default `postgres`). */
  admin<T extends Record<string, unknown> = Record<string, any>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** A login role (not a superuser) owning a fresh database of the same name; `url` reaches it over TCP. */
  createLogin(password?: string): Promise<{ user: string; database: string; password?: string; url: string }>;
  /** `pg_ctl restart -m immediate`: every backend killed without a checkpoint, crash recovery, up again. */
  restartImmediate(): Promise<void>;
  /** Resolves once the server accepts connections again. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultPostgres(options: FaultPostgresOptions = {}): Promise<FaultPostgres> {
  const bin = findPgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-fault-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (isRoot()) execFileSync('chown', ['postgres:postgres', dir]);
  const initdb = asPostgres(path.join(bin, 'initdb'), [
    '-D', dataDir, '-U', 'postgres', '--auth-local=trust', `--auth-host=${options.passwords ? 'scram-sha-256' : 'trust'}`, '-E', 'UTF8', '--locale=C.UTF-8',
  ]);
  execFileSync(initdb.cmd, initdb.args, { stdio: 'pipe' });
  const port = await freePort();
  const serverOptions = [
    `-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1',
    // No synchronous_commit=off (unlike the shared server): a restart -m immediate would lose the last
    // commits, which no production server configured for durability (RDS: on) does. fsync=off is safe
    // here, as the operating system itself never crashes in these tests.
    '-c fsync=off', '-c full_page_writes=off',
    `-c max_connections=${options.maxConnections ?? 30}`,
    ...(options.passwords ? ['-c password_encryption=scram-sha-256'] : []),
  ].join(' ');

  const pgCtl = async (...args: string[]) => {
    const c = asPostgres(path.join(bin, 'pg_ctl'), ['-D', dataDir, ...args]);
    try {
      await run(c.cmd, c.args, { timeout: 60_000 });
    } catch (err) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-3000) : '';
      throw new Error(`pg_ctl ${args.join(' ')} failed: ${(err as Error).message}\n${log}`);
    }
  };

  const admin = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> => {
    const c = new Client({ host: dir, port, user: 'postgres', database });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  const waitUntilReady = async (timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await admin('SELECT 1');
        return;
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`the fault-test server was not ready within ${timeoutMs} ms: ${(last as Error)?.message}`);
  };

  await pgCtl('-o', serverOptions, '-l', logFile, '-w', 'start');
  await waitUntilReady();

  return {
    port,
    admin,
    createLogin: async (password) => {
      const user = `u_${randomBytes(5).toString('hex')}`;
      const [{ sql }] = await admin<{ sql: string }>(
        password === undefined ? 'SELECT format($$CREATE ROLE %I LOGIN$$, $1::text) AS sql' : 'SELECT format($$CREATE ROLE %I LOGIN PASSWORD %L$$, $1::text, $2::text) AS sql',
        password === undefined ? [user] : [user, password],
      );
      await admin(sql);
      await admin(`CREATE DATABASE ${user} OWNER ${user}`);
      const auth = password === undefined ? user : `${user}:${encodeURIComponent(password)}`;
      return { user, database: user, password, url: `postgres://${auth}@127.0.0.1:${port}/${user}` };
    },
    restartImmediate: async () => {
      await pgCtl('-m', 'immediate', '-l', logFile, '-w', '-t', '60', 'restart');
      await waitUntilReady();
    },
    waitUntilReady,
    stop: async () => {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
