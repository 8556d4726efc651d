/** Connecting: secrets, TLS settings and failures that must be clear and leave nothing behind. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import { closeHelpers, createAws, exists, listKeys, query, readText, sentMessages, TestAws, testRuntime, upload } from './helpers';
import { ConfigError, readRuntimeConfig } from '../../src/runtime/contract/config';
import { handleS3Event } from '../../src/runtime/entry/handle-event';
import { DatabaseConnectionError } from '../../src/runtime/ledger/database';
import { settingsFromSecret, settingsFromUrl, tlsOptions } from '../../src/runtime/ledger/db-settings';
import { migrate } from '../../src/runtime/ledger/migrations';
import { createTestDatabase } from '../support/db';
import { motoClientConfig, uniqueName } from '../support/moto';
import { freePort } from '../support/services';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;

beforeAll(async () => {
  db = await createTestDatabase('dbc');
  aws = await createAws();
  // The schema exists from the start, so "nothing was written" can be checked by every test, in any order.
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await migrate(client);
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  closeHelpers();
  await db.drop();
});

// The shared server trusts every connection, so this shows where the settings
// come from; tls.test.ts shows the password is used (scram-sha-256, rotation).
test('credentials from a Secrets Manager secret in the RDS shape', async () => {
  const url = new URL(db.url);
  const sm = new SecretsManagerClient(motoClientConfig());
  const secret = await sm.send(new CreateSecretCommand({
    Name: uniqueName('db-secret'),
    SecretString: JSON.stringify({ engine: 'postgres', host: url.hostname, port: Number(url.port), username: 'postgres', password: 'unused-with-trust-auth', dbname: db.name }),
  }));
  sm.destroy();
  const runtime = testRuntime(aws, db.url, { PIPELINE_DATABASE_URL: '', PIPELINE_DB_SECRET_ARN: secret.ARN! });
  try {
    const { event } = await upload(aws.input, 'via-secret.csv', 'a\n1\n');
    const result = await handleS3Event(event, runtime);
    expect(result.files[0]).toMatchObject({ status: 'succeeded', rows: 1 });
    expect(await query(db.url, "SELECT status FROM file_metadata WHERE key = 'via-secret.csv'")).toEqual([{ status: 'succeeded' }]);
  } finally {
    await runtime.close();
  }
});

test('an unreachable database: clear error with host and port, failure announced and recorded, the upload left for the retry', async () => {
  const port = await freePort();
  const runtime = testRuntime(aws, db.url, { PIPELINE_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nowhere` });
  try {
    const { event } = await upload(aws.input, 'no-db.csv', 'a\n1\n');
    const err = await handleS3Event(event, runtime).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    expect((err as Error).message).toBe(`Cannot connect to PostgreSQL at 127.0.0.1:${port} (database nowhere, user postgres): connect ECONNREFUSED 127.0.0.1:${port}`
      + ' — is the server running and reachable from here (security groups, routes, VPC peering)?');
    // What the runtime actually tried: that address and port, refused there.
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED', address: '127.0.0.1', port });
    const msgs = (await sentMessages(aws.topicArn)).filter((m) => m.body.key === 'no-db.csv');
    expect(msgs).toHaveLength(1);
    expect(msgs[0].attributes.status.Value).toBe('failed');
    expect(msgs[0].body.error).toMatch(/ECONNREFUSED/);
    expect(JSON.parse(await readText(aws.output, 'results/no-db.csv.json'))).toMatchObject({ status: 'failed', rows: null });
    // Only the result was written; the upload stays where it was, so the retry can process it.
    expect((await listKeys(aws.output)).filter((k) => k.includes('no-db.csv'))).toEqual(['results/no-db.csv.json']);
    expect((await listKeys(aws.backup)).filter((k) => k.includes('no-db.csv'))).toEqual([]);
    expect(await exists(aws.input, 'no-db.csv')).toBe(true);
  } finally {
    await runtime.close();
  }
});

// That verify-full accepts the right CA and host name and refuses a wrong CA,
// host name or password is shown against a server with TLS in tls.test.ts.
test('TLS is requested by default: a server without TLS is refused with a hint, and nothing is written', async () => {
  const runtime = testRuntime(aws, db.url, { PIPELINE_DB_SSL: '' });
  try {
    const { event } = await upload(aws.input, 'tls.csv', 'a\n1\n');
    const err = await handleS3Event(event, runtime).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    expect((err as Error).message).toMatch(/^Cannot connect to PostgreSQL at 127\.0\.0\.1:\d+ \(database dbc_\w+, user postgres\): The server does not support SSL connections — .*PIPELINE_DB_SSL=disable/);
  } finally {
    await runtime.close();
  }
  // This runtime did use db.url (asking for TLS): no row there.
  expect(await query(db.url, "SELECT count(*)::int AS n FROM file_metadata WHERE key = 'tls.csv'")).toEqual([{ n: 0 }]);
});

describe('connection settings', () => {
  test('verify-full uses the Amazon RDS CA bundle and checks the host name', () => {
    const tls = tlsOptions('verify-full', 'db.example.com');
    if (!tls) throw new Error('expected TLS options');
    expect(tls.rejectUnauthorized).toBe(true);
    expect(Array.isArray(tls.ca) && tls.ca.length).toBeGreaterThan(10);
    expect(String((tls.ca as string[])[0])).toContain('BEGIN CERTIFICATE');
    const cert = (name: string) => ({ subject: { CN: name }, subjectaltname: `DNS:${name}` }) as never;
    expect(tls.checkServerIdentity!('ignored', cert('db.example.com'))).toBeUndefined();
    expect(tls.checkServerIdentity!('db.example.com', cert('evil.example.com'))).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  test('a CA file replaces the bundle; a missing one is a configuration error', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ca-')), 'ca.pem');
    fs.writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect((tlsOptions('verify-full', 'h', file) as { ca: string }).ca).toContain('MIIB');
    expect(() => tlsOptions('verify-full', 'h', file + '.missing')).toThrow(ConfigError);
    expect(() => tlsOptions('verify-full', 'h', file + '.missing')).toThrow(`Cannot read the database CA bundle ${file}.missing: ENOENT`);
  });

  test('URL parsing, sslmode and precedence', () => {
    const s = settingsFromUrl({ url: 'postgresql://us%40er:p%3Ass@db.internal:6543/my%20db?sslmode=disable' });
    expect(s).toMatchObject({ host: 'db.internal', port: 6543, user: 'us@er', password: 'p:ss', database: 'my db', ssl: false });
    expect(settingsFromUrl({ url: 'postgres://u@h/d?sslmode=disable', sslMode: 'verify-full' }).ssl).not.toBe(false);
    expect(settingsFromUrl({ url: 'postgres://u@h/d?sslmode=require' }).ssl).toMatchObject({ rejectUnauthorized: true });
    expect(() => settingsFromUrl({ url: 'mysql://h/d' })).toThrow(/postgres:\/\//);
  });

  test('secret fields, database name override, missing fields', () => {
    const s = settingsFromSecret({ host: 'h', port: '5433', username: 'u', password: 'p', dbname: 'a' }, { secretArn: 'arn', databaseName: 'b' });
    expect(s).toMatchObject({ host: 'h', port: 5433, user: 'u', password: 'p', database: 'b' });
    expect(s.ssl).toMatchObject({ rejectUnauthorized: true });
    expect(() => settingsFromSecret({ host: 'h' }, { secretArn: 'arn:x' })).toThrow('The database secret arn:x has no username, password');
  });

  test('configuration errors name the variable to fix', () => {
    const base = { PIPELINE_OUTPUT_BUCKET: 'o', PIPELINE_BACKUP_BUCKET: 'b', PIPELINE_DATABASE_URL: 'postgres://h/d' };
    expect(() => readRuntimeConfig({ ...base, PIPELINE_OUTPUT_BUCKET: undefined })).toThrow('PIPELINE_OUTPUT_BUCKET is not set');
    expect(() => readRuntimeConfig({ ...base, PIPELINE_DATABASE_URL: undefined })).toThrow(/PIPELINE_DB_SECRET_ARN/);
    expect(() => readRuntimeConfig({ ...base, PIPELINE_DB_SSL: 'prefer' })).toThrow(/PIPELINE_DB_SSL must be/);
    expect(() => readRuntimeConfig({ ...base, PIPELINE_SINKS: '{' })).toThrow(/PIPELINE_SINKS is not valid JSON/);
    expect(readRuntimeConfig(base)).toMatchObject({ pipelineName: 'cdk-data-pipeline', metricsNamespace: 'CdkDataPipeline', sinks: [], topicArn: undefined });
  });
});
