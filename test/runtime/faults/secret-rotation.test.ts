/**
 * The database secret rotated while the processor is warm, with a real table
 * load on each side of the rotation. The runtime reads the credentials from
 * (moto's) Secrets Manager, on a server of this file's own that asks for a
 * scram-sha-256 password; the pool's sessions are ended after the rotation
 * (as its idle timeout or a failover would), so the next file needs a new
 * connection with the old, cached password: refused (28P01), the secret read
 * again once, the file loaded. test/runtime/tls.test.ts covers the same
 * logic over TLS and mid-rotation; this is the whole-file view of it.
 */
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { expected, faultRuntime, generateCsv, sinksEnv, statusesSent, tableChecksum, tableSink, waitFor } from './fault-helpers';
import { handleEvent } from '../../../src/runtime/entry/handle-event';
import { FaultPostgres, startFaultPostgres } from '../../support/fault-postgres';
import { motoClientConfig, uniqueName } from '../../support/moto';
import { closeHelpers, createAws, fileRows, sqsEvent, TestAws, upload } from '../helpers';

let pg: FaultPostgres;
let aws: TestAws;
let sm: SecretsManagerClient;

beforeAll(async () => {
  [pg, aws] = await Promise.all([startFaultPostgres({ passwords: true }), createAws()]);
  sm = new SecretsManagerClient(motoClientConfig());
});

afterAll(async () => {
  sm?.destroy();
  closeHelpers();
  await pg?.stop();
});

test('rotated while warm: the next file is refused once, the secret is read again, and both files are loaded exactly once', async () => {
  const login = await pg.createLogin('first-password');
  const secret = { engine: 'postgres', host: '127.0.0.1', port: pg.port, username: login.user, password: 'first-password', dbname: login.database };
  const { ARN } = await sm.send(new CreateSecretCommand({ Name: uniqueName('fault-db-secret'), SecretString: JSON.stringify(secret) }));
  const table = 'rotation_rows';
  const runtime = faultRuntime(aws, '', {
    env: { ...sinksEnv(tableSink(table)), PIPELINE_DATABASE_URL: '', PIPELINE_DB_SECRET_ARN: ARN!, PIPELINE_DB_SSL: 'disable' },
  });
  try {
    const url = `postgres://${login.user}:first-password@127.0.0.1:${pg.port}/${login.database}`;
    const a = generateCsv(300, 'before');
    const first = await upload(aws.input, 'rotation/before.csv', a.body);
    expect((await handleEvent(sqsEvent(first.event), runtime)).files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 300 })]);
    expect(await tableChecksum(url, table)).toEqual(expected(a));

    // Rotation: the password changes on the server, then the secret's AWSCURRENT follows.
    await pg.admin(`ALTER ROLE ${login.user} PASSWORD 'second-password'`);
    await sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: JSON.stringify({ ...secret, password: 'second-password' }) }));
    const ended = await pg.admin('SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [login.user]);
    expect(ended.length).toBeGreaterThan(0);
    await waitFor(() => runtime.logs.filter((l) => l.message === 'idle database connection failed').length >= ended.length, 'the pool dropped its ended sessions');

    const b = generateCsv(200, 'after');
    const second = await upload(aws.input, 'rotation/after.csv', b.body);
    const out = await handleEvent(sqsEvent(second.event), runtime);
    expect(out.batchItemFailures).toEqual([]);
    expect(out.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 200 })]);
    expect(runtime.logs.filter((l) => /password refused|credentials loaded again/.test(l.message)).map((l) => l.message)).toEqual([
      'database password refused (SQLSTATE 28P01); retrying once with the credentials loaded again (the secret was rotated?)',
      'connected with the credentials loaded again',
    ]);
    expect(JSON.stringify(runtime.logs)).not.toMatch(/first-password|second-password/);

    const newUrl = `postgres://${login.user}:second-password@127.0.0.1:${pg.port}/${login.database}`;
    // Each file's rows once: the two files' checksums, computed per file.
    const perFile = await pg.admin(
      `SELECT split_part(name, '-', 1) AS file, count(*)::int AS rows,
              md5(string_agg(id || ',' || name || ',' || amount::text, E'\\n' ORDER BY id)) AS md5
       FROM ${table} GROUP BY 1 ORDER BY 1 DESC`, [], login.database);
    expect(perFile).toEqual([{ file: 'before', rows: 300, md5: a.md5 }, { file: 'after', rows: 200, md5: b.md5 }]);
    expect((await fileRows(newUrl)).map((r) => [r.key, r.status, r.attempts])).toEqual([
      ['rotation/before.csv', 'succeeded', 1],
      ['rotation/after.csv', 'succeeded', 1],
    ]);
    expect(await statusesSent(aws.topicArn, 'rotation/before.csv')).toEqual(['succeeded']);
    expect(await statusesSent(aws.topicArn, 'rotation/after.csv')).toEqual(['succeeded']);
  } finally {
    await runtime.close();
  }
});
