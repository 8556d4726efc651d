/**
 * The one window where S3 and PostgreSQL disagree: the attempt writes the
 * backup and the result inside its transaction, before COMMIT, so that a
 * crash can only leave extra S3 objects, never a `succeeded` row without its
 * backup. Here PostgreSQL restarts (crash and recovery) while the backup copy
 * is in flight: moto has made the copy, the proxy holds CopyObject's response
 * until the server is back. After the load, before COMMIT.
 * Nothing of the load is committed, the result says failed, and the retry
 * loads the file exactly once; the backup may then exist twice (two
 * timestamps), both copies the same bytes.
 */
import { expected, faultRuntime, generateCsv, sinksEnv, statusesSent, tableChecksum, EMPTY } from './fault-helpers';
import { handleEvent } from '../../../src/runtime/entry/handle-event';
import { startCuttingProxy, CuttingProxy } from '../../support/cutting-proxy';
import { FaultPostgres, startFaultPostgres } from '../../support/fault-postgres';
import { motoEndpoint } from '../../support/moto';
import { closeHelpers, createAws, fileRows, listKeys, readText, sqsEvent, TestAws, upload } from '../helpers';

let pg: FaultPostgres;
let aws: TestAws;
let proxy: CuttingProxy;

beforeAll(async () => {
  [pg, aws, proxy] = await Promise.all([startFaultPostgres(), createAws({ versioned: true }), startCuttingProxy(motoEndpoint())]);
});

afterAll(async () => {
  await proxy?.close();
  closeHelpers();
  await pg?.stop();
});

test('PostgreSQL restarted while the backup is being copied (after the load, before COMMIT): nothing committed, retried, loaded once', async () => {
  const login = await pg.createLogin();
  const runtime = faultRuntime(aws, login.url, { env: sinksEnv(), endpoint: proxy.endpoint });
  try {
    const key = 'crash/before-commit.csv';
    const csv = generateCsv(1000, 'bc');
    const { event } = await upload(aws.input, key, csv.body);
    const hold = proxy.arm({ method: 'PUT', path: new RegExp(`^/${aws.backup}/backup/`), afterBytes: -1, mode: 'hold' });
    const running = handleEvent(sqsEvent(event), runtime);
    await hold.triggered;
    await pg.restartImmediate();
    hold.release();
    const first = await running;

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(first.files).toEqual([expect.objectContaining({ status: 'failed', errorKind: 'internal', retry: true })]);
    expect(await tableChecksum(login.url)).toEqual(EMPTY);
    // `processing` while the server is still recovering when the failure is recorded, else `failed`.
    expect((await fileRows(login.url)).map((r) => [r.key, r.attempts, r.rows_count])).toEqual([[key, 1, null]]);
    expect(['processing', 'failed']).toContain((await fileRows(login.url))[0].status);
    // The success document written before COMMIT was overwritten by the failure's.
    expect(JSON.parse(await readText(aws.output, `results/${key}.json`))).toMatchObject({ status: 'failed', rows: null });
    const backupsOf = async () => (await listKeys(aws.backup, 'backup/')).filter((k) => k.endsWith(`/${key}`));
    expect(await backupsOf()).toHaveLength(1);
    expect(await statusesSent(aws.topicArn, key)).toEqual(['failed']);

    const retry = await handleEvent(sqsEvent(event), runtime);
    expect(retry.batchItemFailures).toEqual([]);
    expect(retry.files).toEqual([expect.objectContaining({ status: 'succeeded', rows: csv.rows, attempt: 2 })]);
    expect(await tableChecksum(login.url)).toEqual(expected(csv));
    expect((await fileRows(login.url)).map((r) => [r.status, r.attempts, r.rows_count])).toEqual([['succeeded', 2, String(csv.rows)]]);
    expect(JSON.parse(await readText(aws.output, `results/${key}.json`))).toMatchObject({ status: 'succeeded', rows: csv.rows });
    const backups = await backupsOf();
    expect(backups.length).toBeGreaterThanOrEqual(1);
    expect(backups.length).toBeLessThanOrEqual(2);
    for (const b of backups) expect(await readText(aws.backup, b)).toBe(csv.body);
    expect(await statusesSent(aws.topicArn, key)).toEqual(['failed', 'succeeded']);
  } finally {
    await runtime.close();
  }
});
