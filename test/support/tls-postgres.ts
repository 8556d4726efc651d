/**
 * A PostgreSQL server that behaves like RDS where it matters to the runtime's
 * connection code: TLS with a certificate from a private CA, and password
 * (scram-sha-256) authentication for every TCP connection, TLS only.
 *
 * Unlike the shared server of globalSetup (trust authentication, no TLS), a
 * test file starts this one itself (once, in beforeAll) and stops it in
 * afterAll. The certificates are made here with openssl:
 *
 * - `caFile`: the CA that signed the server certificate;
 * - `otherCaFile`: another self-signed CA, which signed nothing the server uses;
 * - the server certificate names `localhost` only (subjectAltName DNS:localhost),
 *   so connecting to 127.0.0.1 is a host name mismatch.
 *
 * The test's own administration goes through the Unix socket (trust, local
 * only); TCP clients get no way in without TLS and a password.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { findPgBin, freePort } from './services';

/** The only name in the server certificate. */
export const CERT_HOST = 'localhost';

export interface TlsPostgres {
  readonly port: number;
  /** PEM of the CA that signed the server certificate. */
  readonly caFile: string;
  /** PEM of a different self-signed CA. */
  readonly otherCaFile: string;
  /** Runs SQL as the superuser over the Unix socket, in `database` (default `postgres`). */
  admin<T extends Record<string, unknown> = Record<string, any>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** A login role owning a fresh database of the same name, with this password. */
  createLogin(password: string): Promise<{ user: string; database: string }>;
  stop(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;

/** initdb and postgres refuse to run as root. */
function asPostgres(cmd: string, args: string[]): { cmd: string; args: string[] } {
  return isRoot() ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer; message: string };
    if (e.code === 'ENOENT') throw new Error('openssl not found; the TLS tests make their certificates with it. Install it: apt-get install -y openssl');
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() || e.message}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function makeCa(dir: string, name: string, cn: string): { cert: string; key: string } {
  const cnf = path.join(dir, `${name}.cnf`);
  fs.writeFileSync(cnf, [
    '[req]', 'distinguished_name = dn', 'prompt = no',
    '[dn]', `CN = ${cn}`,
    '[v3_ca]', 'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign', 'subjectKeyIdentifier = hash',
  ].join('\n') + '\n');
  openssl(['req', '-x509', '-config', cnf, '-extensions', 'v3_ca', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2'], dir);
  return { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
}

function makeServerCert(dir: string, ca: { cert: string; key: string }, dnsName: string): { cert: string; key: string } {
  const ext = path.join(dir, 'server-ext.cnf');
  fs.writeFileSync(ext, [
    `subjectAltName = DNS:${dnsName}`,
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature',
    'extendedKeyUsage = serverAuth',
  ].join('\n') + '\n');
  openssl(['req', '-new', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${dnsName}`], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-days', '2', '-extfile', ext, '-out', 'server.crt'], dir);
  return { cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
}

async function waitUntilReady(connect: () => Promise<void>, child: ChildProcess, stderr: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres (TLS) exited with code ${child.exitCode}:\n${stderr()}`);
    try {
      await connect();
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres (TLS) was not ready within ${timeoutMs} ms (${(last as Error)?.message}):\n${stderr()}`);
}

export async function startTlsPostgres(): Promise<TlsPostgres> {
  const bin = findPgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-tls-pg-'));
  const dataDir = path.join(dir, 'data');
  const pki = path.join(dir, 'pki');
  fs.mkdirSync(pki);
  const ca = makeCa(pki, 'ca', 'cdk-data-pipeline test CA');
  const other = makeCa(pki, 'other-ca', 'cdk-data-pipeline unrelated test CA');
  const server = makeServerCert(pki, ca, CERT_HOST);
  // PostgreSQL refuses a key file that others can read, or (as root's files) that it does not own.
  fs.chmodSync(server.key, 0o600);
  if (isRoot()) execFileSync('chown', ['-R', 'postgres:postgres', dir]);

  const initdb = asPostgres(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
  execFileSync(initdb.cmd, initdb.args, { stdio: 'pipe' });
  // Replaces initdb's file: no `host` (TLS or not) line and no IPv6 line, so
  // TCP means TLS plus password. `local` is the test's administration only.
  fs.writeFileSync(path.join(dataDir, 'pg_hba.conf'), [
    'local all all trust',
    'hostssl all all 127.0.0.1/32 scram-sha-256',
  ].join('\n') + '\n');

  const port = await freePort();
  const pg = asPostgres(path.join(bin, 'postgres'), [
    '-D', dataDir,
    '-p', String(port),
    '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'ssl=on',
    '-c', `ssl_cert_file=${server.cert}`,
    '-c', `ssl_key_file=${server.key}`,
    '-c', 'password_encryption=scram-sha-256',
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
  ]);
  const child = spawn(pg.cmd, pg.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr = (stderr + d.toString()).slice(-8000); });

  const admin = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> => {
    const c = new Client({ host: dir, port, user: 'postgres', database });
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      // SIGINT to the postmaster itself (the child may be runuser): fast shutdown.
      const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      try { process.kill(postmaster, 'SIGINT'); } catch { child.kill('SIGINT'); }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 10_000); })]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    child.stderr?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(async () => { await admin('SELECT 1'); }, child, () => stderr);
    const [{ ssl }] = await admin<{ ssl: string }>('SHOW ssl');
    if (ssl !== 'on') throw new Error(`postgres (TLS) started with ssl=${ssl}`);
  } catch (err) {
    await stop();
    throw err;
  }
  child.unref();

  return {
    port,
    caFile: ca.cert,
    otherCaFile: other.cert,
    admin,
    createLogin: async (password) => {
      const user = `u_${randomBytes(5).toString('hex')}`;
      // Roles cannot be parameters; the password is a literal, quoted by the server.
      const [{ sql }] = await admin<{ sql: string }>('SELECT format($$CREATE ROLE %I LOGIN PASSWORD %L$$, $1::text, $2::text) AS sql', [user, password]);
      await admin(sql);
      await admin(`CREATE DATABASE ${user} OWNER ${user}`);
      return { user, database: user };
    },
    stop,
  };
}
