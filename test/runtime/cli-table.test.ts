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
  expect(fs.readFileSync(bin, 'utf8')).toContain("require('../assets/runtime/entry/cli/main/index.js')");
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
  ['an unsafe type', () => ['--table', 't', '--column', 'a:text; drop table x'], /^cdk-data-pipeline: --column "a:text; drop table x": type "text; drop table x" is not a type name/m],
  ['an extension type', () => ['--table', 't', '--column', 'a:public.citext'], /--column "a:public\.citext": type "public\.citext" is schema-qualified/],
  ['an upper-case table', () => ['--table', 'Orders', '--column', 'a:int'], /--table "Orders" must be lower case: use "orders"/],
  ['a bad schema', () => ['--table', 't', '--schema', 'pg_x', '--column', 'a:int'], /--schema "pg_x" is reserved for PostgreSQL's system schemas/],
  ['the loader\'s column', () => ['--table', 't', '--column', '_file_id:bigint'], /--column "_file_id:bigint": name "_file_id" is reserved/],
  ['a column with an empty type', () => ['--table', 't', '--column', 'a:'], /--column "a:": type "" must not be empty/],
  ['a bad type in a config file', () => ['--config', file('types.json', JSON.stringify({ table: 't', columns: [{ name: 'a', type: 'int' }, { name: 'b', type: 'int[3]' }] }))],
    /types\.json: columns\[1\]\.type "int\[3\]" declares array sizes or dimensions, which PostgreSQL does not enforce: write "int\[\]"/],
  ['a bad name in a multi-sink config file', () => ['--config', file('multi.json', JSON.stringify({
    sinks: [
      { table: 't', columns: [{ name: 'a', type: 'int' }] }, { table: 'u', columns: [{ name: 'xmin', type: 'int' }] },
    ],
  }))],
  /multi\.json: sinks\[1\]\.columns\[0\]\.name "xmin" is the name of a PostgreSQL system column/],
  ['a misspelt key in a config file', () => ['--config', file('typo.json', JSON.stringify({ table: 't', columns: [{ name: 'a', type: 'int', nulable: false }] }))],
    /typo\.json: unknown key columns\[0\]\.nulable \(a table has kind, schema, table, columns, badRows, extraColumns, previousVersions, parallelism; a column has name, type, nullable\)/],
  ['a column without a type', () => ['--table', 't', '--column', 'a'], /--column "a" must be name:type/],
  ['--table without columns', () => ['--table', 't'], /--table needs at least one --column/],
  ['--column without --table', () => ['--column', 'a:int'], /--columns need --table/],
  ['both --config and --table', () => ['--config', 'x.json', '--table', 't', '--column', 'a:int'], /--config and --table both describe the table/],
  ['a missing config file', () => ['--config', 'nope.json'], /Cannot read --config nope\.json: ENOENT/],
  ['a bad policy', () => ['--table', 't', '--column', 'a:int', '--bad-rows', 'SKIP'], /--bad-rows "SKIP" must be FAIL_FILE or SKIP_AND_REPORT/],
])('usage error (exit 2) for %s', (_n, args, message) => {
  const csv = file('u.csv', 'a\n1\n');
  const r = spawnSync(process.execPath, [path.join(work, 'cli.js'), 'process', csv, ...args(), ...dbArgs()], { cwd: work, encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
});

test('names behave as documented: the table unquoted, columns exactly as the header spells them', async () => {
  const config = file('names.json', JSON.stringify({
    schema: 'cli_sales',
    table: 'cli_names',
    columns: [{ name: 'Order ID', type: 'BIGINT', nullable: false }, { name: 'Amount', type: 'Numeric ( 12, 2 )' }, { name: 'amount', type: 'text' }],
  }));
  const csv = file('names.csv', 'Order ID,Amount,amount\n1,2.5,two and a half\n');
  const r = cli(['process', csv, '--config', config, ...dbArgs()]);
  expect(r.stderr).toBe('');
  expect(r.json).toMatchObject({ status: 'succeeded', rows: 1 });
  expect(await query(db.url, 'SELECT "Order ID"::int AS id, "Amount" AS upper, amount AS lower FROM cli_sales.cli_names')).toEqual([
    { id: 1, upper: '2.50', lower: 'two and a half' },
  ]);
});
