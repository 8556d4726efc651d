/**
 * A pipeline without a database, as a container processor runs it: `run`
 * (the CLI bundle, configured by environment like the container) with the
 * DynamoDB ledger and the report sink, killed with `kill -9` mid-file. The
 * rerun waits for the dead run's lease to expire, takes the file over,
 * resumes after the last committed chunk, and the file's aggregates equal a
 * one-pass computation: no chunk counted twice, none missed.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createLedgerTable } from './ledgers';
import { generateCsv } from '../../../bench/csv-generator';
import { motoClientConfig, motoEndpoint } from '../../support/moto';
import { bundleCli } from '../cli-bundle';
import { closeHelpers, createAws, putObject, readText, runtimeEnv, TestAws } from '../helpers';

const ROWS = 150_000;
const EVERY = 10_000;

let aws: TestAws;
let work: string;
let main: string;
let csv: Buffer;
let dynamodb: DynamoDBClient;
let table: string;
/** Version id of each uploaded key. */
const versions = new Map<string, string>();

const REPORT = {
  kind: 'report',
  groupBy: ['active'],
  measures: [{ kind: 'count' }, { kind: 'sum', column: 'qty' }, { kind: 'max', column: 'price' }, { kind: 'distinctCount', column: 'customer' }],
};

function env(checkpointEvery: number): Record<string, string> {
  const { PIPELINE_DATABASE_URL: _u, PIPELINE_DB_SSL: _s, ...rest } = runtimeEnv(aws, 'unused');
  return {
    PATH: process.env.PATH ?? '',
    ...rest,
    PIPELINE_LEDGER_TABLE: table,
    PIPELINE_LEDGER_LEASE_SECONDS: '3',
    PIPELINE_SINKS: JSON.stringify([REPORT]),
    PIPELINE_CHECKPOINT_EVERY: String(checkpointEvery),
    AWS_ENDPOINT_URL: motoEndpoint(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}

interface Ran { code: number | null; signal: string | null; json?: any }

function run(key: string, checkpointEvery: number): { child: ChildProcess; done: Promise<Ran> } {
  const child = spawn(process.execPath, [main, 'run', '--bucket', aws.input, '--key', key], { cwd: work, env: env(checkpointEvery) });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.resume();
  const done = new Promise<Ran>((resolve) => child.on('close', (code, signal) => {
    const last = stdout.trim().split('\n').pop();
    resolve({ code, signal, json: last?.startsWith('{') ? JSON.parse(last) : undefined });
  }));
  return { child, done };
}

/** Chunks the ledger's checkpoint of `key` counts (0 when none). */
async function committedChunks(key: string): Promise<number> {
  const Key = { pk: { S: `f#${aws.input}/${key}` }, sk: { S: `v#${versions.get(key)}` } };
  const out = await dynamodb.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true }));
  const cp = out.Item?.checkpoint?.S;
  return cp ? JSON.parse(cp).chunks : 0;
}


beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-ddb-kill-'));
  main = await bundleCli(path.join(work, 'cli', 'main.js'));
  aws = await createAws({ versioned: true });
  dynamodb = new DynamoDBClient(motoClientConfig());
  table = await createLedgerTable(dynamodb);
  csv = fs.readFileSync((await generateCsv(path.join(work, 'orders.csv'), ROWS)).path);
}, 300_000);

afterAll(() => {
  closeHelpers();
  dynamodb.destroy();
  fs.rmSync(work, { recursive: true, force: true });
});

test('kill -9 mid-file, rerun: the lease expires, the load resumes, the aggregates equal one pass', async () => {
  for (const key of ['whole.csv', 'killed.csv']) versions.set(key, (await putObject(aws.input, key, csv)).versionId!);
  const whole = await run('whole.csv', 0).done;
  expect(whole.json).toMatchObject({ status: 'succeeded', rows: ROWS });
  const reference = JSON.parse(await readText(aws.output, 'results/whole.csv.json')).sinks[0];
  expect(reference.rows).toBe(ROWS);

  const { child, done } = run('killed.csv', EVERY);
  const deadline = Date.now() + 120_000;
  while ((await committedChunks('killed.csv')) < 4) {
    if (Date.now() > deadline) throw new Error('timed out waiting for 4 chunks');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  expect((await done).signal).toBe('SIGKILL');
  const committed = (await committedChunks('killed.csv')) * EVERY;

  // Started at once, the rerun tells the dead run's lease from a live one by its missing renewals.
  const rerun = await run('killed.csv', EVERY).done;
  expect(rerun.code).toBe(0);
  expect(rerun.json).toMatchObject({ status: 'succeeded', rows: ROWS, attempt: 2 });
  expect(rerun.json.resumedFrom).toBeGreaterThanOrEqual(committed);
  const resumed = JSON.parse(await readText(aws.output, 'results/killed.csv.json'));
  expect(resumed.sinks[0]).toEqual(reference);
}, 300_000);
