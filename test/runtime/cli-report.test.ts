/**
 * The report sink from the CLI: a `{"kind": "report", ...}` entry of the
 * `--config` file aggregates a local file as the deployed pipeline would
 * (the summary in the JSON output and in results/<file>.json), and a bad
 * entry is refused naming the file and the JSON path.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/runtime/entry/cli/run';
import { createTestDatabase } from '../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase('clirep');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-cli-report-'));
});
afterAll(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, env: {} });
  return { code, out, err };
}

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

test('--config with a report sink: the aggregates in the output and the result document', async () => {
  const csv = write('sales.csv', 'region,amount\neu,1.50\nus,2\neu,10.25\n');
  const config = write('report.json', JSON.stringify({
    kind: 'report', groupBy: ['region'], measures: [{ kind: 'count' }, { kind: 'sum', column: 'amount', name: 'revenue' }],
  }));
  const out = path.join(dir, 'out');
  const r = await cli(['process', csv, '--config', config, '--database-url', db.url, '--ssl', 'disable', '--output-dir', out]);
  expect(r.code).toBe(0);
  const result = JSON.parse(r.out);
  expect(result).toMatchObject({ status: 'succeeded', rows: 3 });
  const expected = [
    { group: { region: 'eu' }, measures: { count: 2, revenue: '11.75' } },
    { group: { region: 'us' }, measures: { count: 1, revenue: '2' } },
  ];
  expect(result.sinkSummaries[0].groups).toEqual(expected);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'results', 'sales.csv.json'), 'utf8')).sinks[0].groups).toEqual(expected);
});

test('a bad report entry is refused, naming the file and what is wrong', async () => {
  const csv = write('x.csv', 'region,amount\neu,1\n');
  const config = write('bad.json', JSON.stringify({ sinks: [{ kind: 'report', groupBy: 'region', measures: [] }] }));
  const r = await cli(['process', csv, '--config', config, '--database-url', db.url, '--ssl', 'disable']);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(new RegExp(`${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: sinks\\[0\\]: groupBy`));
});
