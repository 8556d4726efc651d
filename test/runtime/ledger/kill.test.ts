/**
 * `kill -9` mid-file on each ledger, as a container processor runs: `run`
 * (the CLI bundle, configured by environment like the container) with the
 * report sink, which keeps its partial aggregates with each checkpoint. The
 * rerun takes the file over (PostgreSQL: the dead session's locks are gone;
 * DynamoDB: it waits for the dead run's lease to expire), resumes after the
 * last committed chunk, and the file's aggregates equal a one-pass
 * computation: no chunk counted twice, none missed.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createTestLedger, LEDGER_KINDS, LedgerKind, TestLedger } from './ledgers';
import { generateCsv } from '../../../bench/csv-generator';
import { motoProcessEnv } from '../../support/moto';
import { bundleCli } from '../cli-bundle';
import { closeHelpers, createAws, putObject, readText, TestAws } from '../helpers';

const ROWS = 150_000;
const EVERY = 10_000;

let aws: TestAws;
let work: string;
let main: string;
let csv: Buffer;

const REPORT = {
  kind: 'report',
  groupBy: ['active'],
  measures: [{ kind: 'count' }, { kind: 'sum', column: 'qty' }, { kind: 'max', column: 'price' }, { kind: 'distinctCount', column: 'customer' }],
};

function env(ledger: TestLedger, checkpointEvery: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...ledger.env({ PIPELINE_LEDGER_LEASE_SECONDS: '3' }),
    PIPELINE_SINKS: JSON.stringify([REPORT]),
    PIPELINE_CHECKPOINT_EVERY: String(checkpointEvery),
    ...motoProcessEnv(),
  };
}

interface Ran { code: number | null; signal: string | null; json?: any }

function run(ledger: TestLedger, key: string, checkpointEvery: number): { child: ChildProcess; done: Promise<Ran> } {
  const child = spawn(process.execPath, [main, 'run', '--bucket', aws.input, '--key', key], { cwd: work, env: env(ledger, checkpointEvery) });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.resume();
  const done = new Promise<Ran>((resolve) => child.on('close', (code, signal) => {
    const last = stdout.trim().split('\n').pop();
    resolve({ code, signal, json: last?.startsWith('{') ? JSON.parse(last) : undefined });
  }));
  return { child, done };
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-ddb-kill-'));
  main = await bundleCli(path.join(work, 'cli', 'main.js'));
  aws = await createAws({ versioned: true });
  csv = fs.readFileSync((await generateCsv(path.join(work, 'orders.csv'), ROWS)).path);
}, 300_000);

afterAll(() => {
  closeHelpers();
  fs.rmSync(work, { recursive: true, force: true });
});

describe.each(LEDGER_KINDS)('the %s ledger', (kind: LedgerKind) => {
  let ledger: TestLedger;
  beforeAll(async () => { ledger = await createTestLedger(kind, aws); });
  afterAll(async () => ledger.drop());

  /** Chunks the ledger's checkpoint of `key` counts (0 when none). */
  async function committedChunks(key: string): Promise<number> {
    const [record] = await ledger.records(key);
    return record?.checkpoint?.chunks ?? 0;
  }

  test('kill -9 mid-file, rerun: the load resumes after the committed chunks, the aggregates equal one pass', async () => {
    const whole = `${kind}/whole.csv`;
    const killed = `${kind}/killed.csv`;
    for (const key of [whole, killed]) await putObject(aws.input, key, csv);
    expect((await run(ledger, whole, 0).done).json).toMatchObject({ status: 'succeeded', rows: ROWS });
    const reference = JSON.parse(await readText(aws.output, `results/${whole}.json`)).sinks[0];
    expect(reference.rows).toBe(ROWS);

    const { child, done } = run(ledger, killed, EVERY);
    const deadline = Date.now() + 120_000;
    while ((await committedChunks(killed)) < 4) {
      if (Date.now() > deadline) throw new Error('timed out waiting for 4 chunks');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    const committed = (await committedChunks(killed)) * EVERY;

    // Started at once; on DynamoDB it tells the dead run's lease from a live one by its missing renewals.
    const rerun = await run(ledger, killed, EVERY).done;
    expect(rerun.code).toBe(0);
    expect(rerun.json).toMatchObject({ status: 'succeeded', rows: ROWS, attempt: 2 });
    expect(rerun.json.resumedFrom).toBeGreaterThanOrEqual(committed);
    expect(JSON.parse(await readText(aws.output, `results/${killed}.json`)).sinks[0]).toEqual(reference);
  }, 300_000);
});
