/**
 * TLS verification and password authentication through the runtime's real
 * connection code, the same path the Lambda takes: createRuntime reads the
 * credentials from a secret in (moto's) Secrets Manager and connects with
 * verify-full to a PostgreSQL that requires TLS and a scram-sha-256 password
 * (test/support/tls-postgres.ts). PIPELINE_DB_CA_FILE points at the test CA.
 */
import * as fs from 'fs';
import {
  CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, SecretsManagerClient, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import { closeHelpers, createAws, readText, runtimeEnv, TestAws, upload } from './helpers';
import { fetchRdsSecret } from '../../src/runtime/aws/db-secret';
import { readRuntimeConfig } from '../../src/runtime/contract/config';
import { jsonLogger } from '../../src/runtime/contract/logger';
import { handleS3Event } from '../../src/runtime/entry/handle-event';
import { createRuntime, Runtime } from '../../src/runtime/entry/lambda-runtime';
import { cachedSettings, Database, DatabaseConnectionError } from '../../src/runtime/ledger/database';
import { settingsFromSecret } from '../../src/runtime/ledger/db-settings';
import { motoClientConfig, uniqueName } from '../support/moto';
import { CERT_HOST, startTlsPostgres, TlsPostgres } from '../support/tls-postgres';

let pg: TlsPostgres;
let aws: TestAws;
let sm: SecretsManagerClient;

beforeAll(async () => {
  [pg, aws] = await Promise.all([startTlsPostgres(), createAws()]);
  sm = new SecretsManagerClient(motoClientConfig());
});

afterAll(async () => {
  sm?.destroy();
  closeHelpers();
  await pg?.stop();
});

interface Login {
  readonly user: string;
  readonly database: string;
  readonly password: string;
  readonly secretArn: string;
}

/** A role with its own database, and its credentials in a secret shaped like the one RDS generates. */
async function newLogin(secret: { host?: string; password?: string } = {}): Promise<Login> {
  const password = `pw-${uniqueName('a')}`;
  const { user, database } = await pg.createLogin(password);
  const created = await sm.send(new CreateSecretCommand({
    Name: uniqueName('tls-db-secret'),
    SecretString: JSON.stringify({
      engine: 'postgres', host: secret.host ?? CERT_HOST, port: pg.port, username: user, password: secret.password ?? password, dbname: database,
    }),
  }));
  return { user, database, password, secretArn: created.ARN! };
}

interface LogLine { level: string; message: string; [field: string]: unknown }

/** The Lambda's runtime: no database URL, no PIPELINE_DB_SSL (so verify-full), the secret's ARN. */
function lambdaRuntime(login: Login, caFile: string | null = pg.caFile): { runtime: Runtime; logs: LogLine[] } {
  const { PIPELINE_DATABASE_URL: _url, PIPELINE_DB_SSL: _ssl, ...env } = runtimeEnv(aws, '');
  const logs: LogLine[] = [];
  const runtime = createRuntime({
    env: { ...env, PIPELINE_DB_SECRET_ARN: login.secretArn, ...(caFile ? { PIPELINE_DB_CA_FILE: caFile } : {}) },
    aws: motoClientConfig(),
    log: jsonLogger((line) => logs.push(JSON.parse(line) as LogLine)),
    writeMetric: () => undefined,
  });
  return { runtime, logs };
}

const messages = (logs: LogLine[], pattern: RegExp) => logs.filter((l) => pattern.test(l.message));

/** A plain pg client, TLS verified against the test CA: what a password does on the server, independent of the runtime. */
async function directConnect(login: Login, password: string): Promise<void> {
  const ssl = { ca: fs.readFileSync(pg.caFile, 'utf8'), rejectUnauthorized: true };
  const c = new Client({ host: CERT_HOST, port: pg.port, user: login.user, password, database: login.database, ssl });
  try {
    await c.connect();
    await c.query('SELECT 1');
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The error the event fails with, after checking it failed the file and touched no database. */
async function failedEvent(runtime: Runtime, login: Login, key: string): Promise<DatabaseConnectionError> {
  const { event } = await upload(aws.input, key, 'a\n1\n');
  const err = await handleS3Event(event, runtime).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DatabaseConnectionError);
  expect(JSON.parse(await readText(aws.output, `results/${key}.json`))).toMatchObject({ status: 'failed', rows: null });
  // Not even the migrations ran: nothing reached the database.
  expect(await pg.admin("SELECT to_regclass('file_metadata') AS t", [], login.database)).toEqual([{ t: null }]);
  return err as DatabaseConnectionError;
}

const tlsHint = ' — TLS verification failed; point PIPELINE_DB_CA_FILE (or --ca-file) at the CA bundle that signed the server certificate';
const at = (login: Login, host = CERT_HOST) => `Cannot connect to PostgreSQL at ${host}:${pg.port} (database ${login.database}, user ${login.user})`;

test('the server takes TCP connections with TLS and a password only (what the other tests rely on)', async () => {
  const login = await newLogin();
  const plain = new Client({ host: CERT_HOST, port: pg.port, user: login.user, password: login.password, database: login.database, ssl: false });
  await expect(plain.connect()).rejects.toThrow(`no pg_hba.conf entry for host "127.0.0.1", user "${login.user}", database "${login.database}", no encryption`);
  await plain.end().catch(() => undefined);
  await expect(pg.admin('SELECT type, auth_method FROM pg_hba_file_rules ORDER BY line_number')).resolves.toEqual([
    { type: 'local', auth_method: 'trust' },
    { type: 'hostssl', auth_method: 'scram-sha-256' },
  ]);
  await expect(directConnect(login, login.password)).resolves.toBeUndefined();
});

test('verify-full with the right CA and host name: the file is loaded over a verified TLS connection', async () => {
  const login = await newLogin();
  expect(readRuntimeConfig({ ...runtimeEnv(aws, ''), PIPELINE_DATABASE_URL: undefined, PIPELINE_DB_SSL: undefined, PIPELINE_DB_SECRET_ARN: login.secretArn }).database)
    .toMatchObject({ secretArn: login.secretArn, sslMode: undefined });
  const { runtime, logs } = lambdaRuntime(login);
  try {
    const { event } = await upload(aws.input, 'tls-ok.csv', 'a\n1\n2\n');
    const result = await handleS3Event(event, runtime);
    expect(result.files).toEqual([expect.objectContaining({ key: 'tls-ok.csv', status: 'succeeded', rows: 2 })]);
    expect(await pg.admin("SELECT status, rows_count::int AS rows FROM file_metadata WHERE key = 'tls-ok.csv'", [], login.database)).toEqual([{ status: 'succeeded', rows: 2 }]);
    const client = await runtime.database!.connect();
    try {
      const { rows } = await client.query('SELECT s.ssl, s.version, current_user AS "user" FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()');
      expect(rows).toEqual([{ ssl: true, version: expect.stringMatching(/^TLSv1\.[23]$/), user: login.user }]);
    } finally {
      client.release();
    }
    expect(messages(logs, /password refused/)).toEqual([]);
  } finally {
    await runtime.close();
  }
});

test('by default only the Amazon RDS CA bundle is trusted: the test CA is refused with a hint', async () => {
  const login = await newLogin();
  const { runtime } = lambdaRuntime(login, null);
  try {
    const err = await failedEvent(runtime, login, 'tls-default-ca.csv');
    expect(err.message).toBe(`${at(login)}: unable to verify the first certificate${tlsHint}`);
    expect(err.cause).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  } finally {
    await runtime.close();
  }
});

test('a wrong CA (another self-signed CA) is refused with a hint', async () => {
  const login = await newLogin();
  const { runtime } = lambdaRuntime(login, pg.otherCaFile);
  try {
    const err = await failedEvent(runtime, login, 'tls-wrong-ca.csv');
    expect(err.message).toBe(`${at(login)}: unable to verify the first certificate${tlsHint}`);
    expect(err.cause).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  } finally {
    await runtime.close();
  }
});

test('a wrong host name (127.0.0.1, the certificate names localhost only) is refused with a hint', async () => {
  const login = await newLogin({ host: '127.0.0.1' });
  const { runtime } = lambdaRuntime(login);
  try {
    const err = await failedEvent(runtime, login, 'tls-wrong-host.csv');
    expect(err.message).toBe(`${at(login, '127.0.0.1')}: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ${tlsHint}`);
    expect(err.cause).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', host: '127.0.0.1' });
  } finally {
    await runtime.close();
  }
});

test('a wrong password is refused; fetched again the secret is unchanged, so no second attempt', async () => {
  const login = await newLogin({ password: 'not-the-password' });
  const { runtime, logs } = lambdaRuntime(login);
  try {
    const err = await failedEvent(runtime, login, 'tls-wrong-password.csv');
    expect(err.message).toBe(`${at(login)}: password authentication failed for user "${login.user}" — check the user name and password; `
      + 'the credentials were loaded again (the secret fetched afresh, if one is configured) and are unchanged');
    expect(err.cause).toMatchObject({ code: '28P01' });
    expect(messages(logs, /password refused/)).toEqual([
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('unchanged, so not retrying'), server: at(login).replace('Cannot connect to PostgreSQL at ', '') }),
    ]);
    // The password does not end up in the logs.
    expect(JSON.stringify(logs)).not.toContain('not-the-password');
  } finally {
    await runtime.close();
  }
});

/** What RDS rotation does (createSecret, setSecret, finishSecret), in steps a test can interleave. */
async function rotate(login: Login, newPassword: string) {
  const current = await fetchRdsSecret(sm, login.secretArn);
  const pending = await sm.send(new PutSecretValueCommand({
    SecretId: login.secretArn, SecretString: JSON.stringify({ ...current, password: newPassword }), VersionStages: ['AWSPENDING'],
  }));
  return {
    setSecret: async () => {
      const [{ sql }] = await pg.admin<{ sql: string }>('SELECT format($$ALTER ROLE %I PASSWORD %L$$, $1::text, $2::text) AS sql', [login.user, newPassword]);
      await pg.admin(sql);
    },
    finishSecret: async () => {
      const described = await sm.send(new DescribeSecretCommand({ SecretId: login.secretArn }));
      const currentVersion = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
      expect(currentVersion).toBeDefined();
      await sm.send(new UpdateSecretVersionStageCommand({
        SecretId: login.secretArn, VersionStage: 'AWSCURRENT', MoveToVersionId: pending.VersionId, RemoveFromVersionId: currentVersion,
      }));
    },
  };
}

/**
 * PostgreSQL keeps sessions open across a password change, so the pool's idle
 * connection would hide the rotation. Ending it server-side stands in for the
 * pool's idle timeout or a lost connection: the next file needs a new one.
 */
async function endSessions(login: Login, logs: LogLine[]): Promise<void> {
  // In the select list, not the WHERE clause: PostgreSQL may evaluate quals in any order.
  const ended = await pg.admin<{ pid: number }>('SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [login.user]);
  expect(ended.length).toBeGreaterThan(0);
  const deadline = Date.now() + 10_000;
  while (messages(logs, /idle database connection failed/).length < ended.length) {
    if (Date.now() > deadline) throw new Error(`the pool did not drop its ${ended.length} terminated connection(s) within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a rotated secret: the old password stops working, and a runtime that cached it fetches the secret again and retries once', async () => {
  const login = await newLogin();
  const { runtime, logs } = lambdaRuntime(login);
  try {
    const first = await upload(aws.input, 'rotation-1.csv', 'a\n1\n');
    expect((await handleS3Event(first.event, runtime)).files).toEqual([expect.objectContaining({ status: 'succeeded' })]);

    const rotation = await rotate(login, 'rotated-password');
    await rotation.setSecret();
    await rotation.finishSecret();
    expect(await fetchRdsSecret(sm, login.secretArn)).toMatchObject({ password: 'rotated-password' });
    await expect(directConnect(login, login.password)).rejects.toThrow(`password authentication failed for user "${login.user}"`);
    await expect(directConnect(login, 'rotated-password')).resolves.toBeUndefined();
    await endSessions(login, logs);

    const second = await upload(aws.input, 'rotation-2.csv', 'a\n1\n2\n');
    expect((await handleS3Event(second.event, runtime)).files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 2 })]);
    expect(messages(logs, /password refused|credentials loaded again/).map((l) => [l.level, l.message])).toEqual([
      ['warn', 'database password refused (SQLSTATE 28P01); retrying once with the credentials loaded again (the secret was rotated?)'],
      ['info', 'connected with the credentials loaded again'],
    ]);
    expect(await pg.admin('SELECT key, status FROM file_metadata ORDER BY id', [], login.database)).toEqual([
      { key: 'rotation-1.csv', status: 'succeeded' },
      { key: 'rotation-2.csv', status: 'succeeded' },
    ]);
    expect(JSON.stringify(logs)).not.toContain('rotated-password');
  } finally {
    await runtime.close();
  }
});

test('mid-rotation (password changed, secret not yet): a clear error; once the rotation finishes the next invocation succeeds', async () => {
  const login = await newLogin();
  const { runtime, logs } = lambdaRuntime(login);
  try {
    const first = await upload(aws.input, 'mid-rotation-1.csv', 'a\n1\n');
    expect((await handleS3Event(first.event, runtime)).files).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    const rotation = await rotate(login, 'mid-rotation-password');
    await rotation.setSecret();
    await endSessions(login, logs);

    const err = await (async () => {
      const { event } = await upload(aws.input, 'mid-rotation-2.csv', 'a\n1\n');
      return handleS3Event(event, runtime).then(() => undefined, (e: unknown) => e);
    })();
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    expect((err as Error).message).toMatch(/password authentication failed for user "u_\w+" — check the user name and password; the credentials were loaded again .* and are unchanged$/);

    await rotation.finishSecret();
    const third = await upload(aws.input, 'mid-rotation-3.csv', 'a\n1\n');
    expect((await handleS3Event(third.event, runtime)).files).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(messages(logs, /password refused|credentials loaded again/).map((l) => l.message)).toEqual([
      'database password refused (SQLSTATE 28P01); loaded again, the credentials are unchanged, so not retrying',
      'database password refused (SQLSTATE 28P01); retrying once with the credentials loaded again (the secret was rotated?)',
      'connected with the credentials loaded again',
    ]);
  } finally {
    await runtime.close();
  }
});

test('after a rotation, connections refused at the same time fetch the secret once between them', async () => {
  const login = await newLogin();
  let fetches = 0;
  const config = { secretArn: login.secretArn, caFile: pg.caFile };
  const logs: LogLine[] = [];
  const database = new Database(cachedSettings(async () => {
    fetches++;
    return settingsFromSecret(await fetchRdsSecret(sm, login.secretArn), config);
  }), { log: jsonLogger((line) => logs.push(JSON.parse(line) as LogLine)) });
  try {
    (await database.connect()).release();
    expect(fetches).toBe(1);
    const rotation = await rotate(login, 'concurrent-password');
    await rotation.setSecret();
    await rotation.finishSecret();
    await endSessions(login, logs);

    const clients = await Promise.all([database.connect(), database.connect()]);
    try {
      const users = await Promise.all(clients.map(async (c) => (await c.query('SELECT current_user AS u, pg_backend_pid() AS pid')).rows[0]));
      expect(users).toHaveLength(2);
      expect(new Set(users.map((u) => u.pid)).size).toBe(2);
      expect(users.map((u) => u.u)).toEqual([login.user, login.user]);
    } finally {
      for (const c of clients) c.release();
    }
    expect(fetches).toBe(2);
  } finally {
    await database.end();
  }
});
