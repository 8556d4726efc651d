/** The CLI with a table sink: the same loader as the deployed pipeline, on a local file. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bundleCli, ROOT as root } from './cli-bundle';
import { query } from './helpers';
import { createTestDatabase } from '../support/db';

const bin = path.join(root, 'bin', 'cdk-data-pipeline');
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let work: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-clit-'));
  await bundleCli(path.join(work, 'cli.js'));
  db = await createTestDatabase('clit');
});

afterAll(async () => {
  await db.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

function cli(args: string[]) {
  const res = spawnSync(process.execPath, [path.join(work, 'cli.js'), ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, json: res.stdout.trim() ? JSON.parse(res.stdout) : undefined, stderr: res.stderr };
}

function file(name: string, content: string): string {
  const f = path.join(work, name);
  fs.writeFileSync(f, content);
  return f;
}

const dbArgs = () => ['--database-url', db.url, '--ssl', 'disable', '--output-dir', path.join(work, 'out')];

test('bin/cdk-data-pipeline is the bundled CLI', () => {
  expect(fs.readFileSync(bin, 'utf8')).toContain("require('../assets/runtime/cli/main/index.js')");
});

test('--config loads every row into the table, created on first use; a rerun is a duplicate', () => {
  const config = file('orders.json', JSON.stringify({
    table: 'cli_orders',
    columns: [{ name: 'id', type: 'bigint', nullable: false }, { name: 'amount', type: 'numeric(12,2)' }],
  }));
  const csv = file('orders.csv', 'amount,id\n1.50,1\n"2.25",2\n,3\n');
  const first = cli(['process', csv, '--config', config, ...dbArgs()]);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.json).toMatchObject({ status: 'succeeded', rows: 3, rowsRejected: 0 });
  const again = cli(['process', csv, '--config', config, ...dbArgs()]);
  expect(again.json).toMatchObject({ status: 'duplicate' });
  return expect(query(db.url, 'SELECT id::int, amount FROM cli_orders ORDER BY id')).resolves.toEqual([
    { id: 1, amount: '1.50' }, { id: 2, amount: '2.25' }, { id: 3, amount: null },
  ]);
});

test('--table/--column with SKIP_AND_REPORT: good rows load, rejects are written with line numbers', async () => {
  const csv = file('skip.csv', 'id,qty\n1,10\n2,ten\n3,30\n');
  const r = cli(['process', csv, '--table', 'cli_skip', '--column', 'id:integer:not-null', '--column', 'qty:integer', '--bad-rows', 'SKIP_AND_REPORT', ...dbArgs()]);
  expect(r.code).toBe(0);
  expect(r.json).toMatchObject({ status: 'succeeded', rows: 2, rowsRejected: 1 });
  expect(await query(db.url, 'SELECT id FROM cli_skip ORDER BY id')).toEqual([{ id: 1 }, { id: 3 }]);
  const rejects = fs.readFileSync(path.join(work, 'out', 'rejects', 'skip.csv.csv'), 'utf8');
  expect(rejects).toMatch(/^line,/);
  expect(rejects).toContain('3,');
  expect(rejects).toMatch(/qty/);
});

test('FAIL_FILE: a bad value fails the file (exit 1) naming line and column, and loads nothing', async () => {
  const csv = file('fail.csv', 'id,qty\n1,10\n2,ten\n');
  const r = cli(['process', csv, '--table', 'cli_fail', '--column', 'id:integer', '--column', 'qty:integer', ...dbArgs()]);
  expect(r.code).toBe(1);
  expect(r.json.status).toBe('failed');
  expect(r.json.error).toMatch(/line 3/);
  expect(r.json.error).toMatch(/qty/);
  expect(await query(db.url, 'SELECT count(*)::int AS n FROM cli_fail')).toEqual([{ n: 0 }]);
});

test.each<[string, () => string[], RegExp]>([
  ['broken JSON config', () => ['--config', file('bad.json', '{\n  "table": "x",\n  "columns": [,]\n}')], /bad\.json: invalid JSON at line 3, column \d+/],
  ['an unsafe type', () => ['--table', 't', '--column', 'a:text; drop table x'], /invalid type "text; drop table x" for column "a"/],
  ['a column without a type', () => ['--table', 't', '--column', 'a'], /--column "a" must be name:type/],
  ['--table without columns', () => ['--table', 't'], /--table needs at least one --column/],
  ['--column without --table', () => ['--column', 'a:int'], /--columns need --table/],
  ['both --config and --table', () => ['--config', 'x.json', '--table', 't', '--column', 'a:int'], /--config and --table both describe the table/],
  ['a missing config file', () => ['--config', 'nope.json'], /Cannot read --config nope\.json: ENOENT/],
  ['a bad policy', () => ['--table', 't', '--column', 'a:int', '--bad-rows', 'SKIP'], /invalid badRows "SKIP"/],
])('usage error (exit 2) for %s', (_n, args, message) => {
  const csv = file('u.csv', 'a\n1\n');
  const r = spawnSync(process.execPath, [path.join(work, 'cli.js'), 'process', csv, ...args(), ...dbArgs()], { cwd: work, encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
});
