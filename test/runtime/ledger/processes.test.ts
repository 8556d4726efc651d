/**
 * Several processes delivered the same file at once (a duplicated event, a
 * retry racing the first attempt), on each ledger: four `run` processes of
 * the CLI bundle, configured by environment like the container processors,
 * on one object. One of them processes it; the others leave it alone
 * (`in-progress` while it runs, `duplicate` after), and the ledger shows one
 * attempt.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createTestLedger, LEDGER_KINDS, LedgerKind, TestLedger } from './ledgers';
import { generateCsv } from '../../../bench/csv-generator';
import { motoProcessEnv } from '../../support/moto';
import { bundleCli } from '../cli-bundle';
import { closeHelpers, createAws, putObject, TestAws } from '../helpers';

let aws: TestAws;
let work: string;
let main: string;
let csv: Buffer;

const REPORT = { kind: 'report', groupBy: ['active'], measures: [{ kind: 'count' }, { kind: 'sum', column: 'qty' }] };

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-procs-'));
  main = await bundleCli(path.join(work, 'cli', 'main.js'));
  aws = await createAws({ versioned: true });
  csv = fs.readFileSync((await generateCsv(path.join(work, 'orders.csv'), 60_000)).path);
}, 300_000);

afterAll(() => {
  closeHelpers();
  fs.rmSync(work, { recursive: true, force: true });
});

function run(env: Record<string, string>, key: string): Promise<{ code: number | null; json: any }> {
  const child = spawn(process.execPath, [main, 'run', '--bucket', aws.input, '--key', key], { cwd: work, env });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.resume();
  return new Promise((resolve) => child.on('close', (code) => {
    const last = stdout.trim().split('\n').pop() ?? '';
    resolve({ code, json: last.startsWith('{') ? JSON.parse(last) : undefined });
  }));
}

describe.each(LEDGER_KINDS)('four processes on one file, %s ledger', (kind: LedgerKind) => {
  let ledger: TestLedger;
  beforeAll(async () => { ledger = await createTestLedger(kind, aws); });
  afterAll(async () => ledger.drop());

  test('one processes it, the others leave it alone; one attempt, one result', async () => {
    const key = `${kind}/raced.csv`;
    await putObject(aws.input, key, csv);
    const env = {
      PATH: process.env.PATH ?? '',
      ...ledger.env({ PIPELINE_SINKS: JSON.stringify([REPORT]), PIPELINE_CHECKPOINT_EVERY: '5000' }),
      ...motoProcessEnv(),
    };
    const results = await Promise.all([0, 1, 2, 3].map(() => run(env, key)));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const statuses = results.map((r) => r.json.status);
    expect(statuses.filter((s) => s === 'succeeded')).toHaveLength(1);
    expect(statuses.every((s) => ['succeeded', 'in-progress', 'duplicate'].includes(s))).toBe(true);
    expect(results.find((r) => r.json.status === 'succeeded')!.json).toMatchObject({ rows: 60_000, attempt: 1 });
    expect(await ledger.records(key)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1, rowsCount: 60_000 })]);
  }, 120_000);
});
