/** The `cdk-data-pipeline` command, run as a user runs it: node bin/cdk-data-pipeline. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bundleCli } from './cli-bundle';
import { query } from './helpers';
import { createTestDatabase } from '../support/db';
import { freePort } from '../support/services';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'cdk-data-pipeline');
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let work: string;

beforeAll(async () => {
  await bundleCli();
  db = await createTestDatabase('cli');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-cli-'));
});

afterAll(async () => {
  await db.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [bin, ...args], {
    cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function csv(name: string, content: string | Buffer): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, content);
  return file;
}

const dbArgs = () => ['--database-url', db.url, '--ssl', 'disable'];

test('--help, -h and process --help print usage with an example', () => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const r = cli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: cdk-data-pipeline <command>');
  }
  const p = cli(['process', '--help']);
  expect(p.code).toBe(0);
  expect(p.stdout).toContain('Examples:');
  expect(p.stdout).toContain('--database-url');
});

test('a good file: exit 0, one JSON object, outputs under the output dir, row in file_metadata', () => {
  const file = csv('orders.csv', 'id,comment\r\n1,"two\r\nlines"\r\n2,x\r\n');
  const out = path.join(work, 'out');
  const r = cli(['process', file, ...dbArgs(), '--output-dir', out]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const result = JSON.parse(r.stdout);
  expect(result).toMatchObject({ status: 'succeeded', rows: 2, file, bucket: 'local', key: 'orders.csv', versionKind: 'sha256' });
  expect(result.version).toMatch(/^[0-9a-f]{64}$/);
  expect(typeof result.durationMs).toBe('number');
  expect(r.stdout.trim().split('\n')).toHaveLength(1);

  const doc = JSON.parse(fs.readFileSync(path.join(out, 'results', 'orders.csv.json'), 'utf8'));
  expect(doc).toMatchObject({ bucket: 'local', key: 'orders.csv', rows: 2, status: 'succeeded' });
  const [stamp] = fs.readdirSync(path.join(out, 'backup'));
  expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
  expect(fs.readFileSync(path.join(out, 'backup', stamp, 'orders.csv'), 'utf8')).toBe('id,comment\r\n1,"two\r\nlines"\r\n2,x\r\n');
});

test('the same content again is a duplicate (exit 0); DATABASE_URL works instead of the flag', async () => {
  const file = csv('again.csv', 'a\n1\n');
  expect(cli(['process', file, ...dbArgs()]).code).toBe(0);
  const r = cli(['process', file, '--ssl', 'disable'], { DATABASE_URL: db.url });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ status: 'duplicate', rows: 1 });
  expect(fs.existsSync(path.join(work, 'cdk-data-pipeline-output', 'results', 'again.csv.json'))).toBe(true);
  expect(await query(db.url, "SELECT count(*)::int AS n FROM file_metadata WHERE key = 'again.csv'")).toEqual([{ n: 1 }]);
});

test('a duplicate says why and how to force it; --force loads it again, here into another table', async () => {
  const file = csv('dry-run.csv', 'id,name\n1,a\n2,b\n');
  const table = (name: string) => ['--table', name, '--column', 'id:integer:not-null', '--column', 'name:text'];
  expect(cli(['process', file, ...dbArgs(), ...table('dry_one')]).code).toBe(0);

  const dup = cli(['process', file, ...dbArgs(), ...table('dry_two')]);
  expect(dup.code).toBe(0);
  const out = JSON.parse(dup.stdout);
  expect(out).toMatchObject({ status: 'duplicate', reason: expect.stringMatching(/^this version was already succeeded at \d{4}-\d\d-\d\dT.*file_metadata id \d+.*--force/) });
  expect(dup.stderr).toContain(`${file} was not processed: this version was already succeeded at`);
  expect(dup.stderr).toContain('run with --force to process it anyway');
  expect(await query(db.url, "SELECT to_regclass('dry_two') IS NULL AS missing")).toEqual([{ missing: false }]);
  expect(await query(db.url, 'SELECT count(*)::int AS n FROM dry_two')).toEqual([{ n: 0 }]);

  const forced = cli(['process', file, ...dbArgs(), ...table('dry_two'), '--force']);
  expect(forced.stderr).toBe('');
  expect(JSON.parse(forced.stdout)).toMatchObject({ status: 'succeeded', rows: 2, attempt: 2 });
  expect(await query(db.url, 'SELECT id, name FROM dry_two ORDER BY id')).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
  // Forcing twice replaces the rows of the earlier run of the same file: never doubled.
  expect(JSON.parse(cli(['process', file, ...dbArgs(), ...table('dry_two'), '--force']).stdout)).toMatchObject({ status: 'succeeded', attempt: 3 });
  expect(await query(db.url, 'SELECT count(*)::int AS n FROM dry_two')).toEqual([{ n: 2 }]);
});

test('--previous-versions APPEND keeps the rows of both versions; a bad value is a usage error naming the flag', async () => {
  const table = ['--table', 'appended', '--column', 'id:integer:not-null', '--previous-versions', 'APPEND'];
  const file = csv('day2.csv', 'id\n1\n');
  expect(JSON.parse(cli(['process', file, ...dbArgs(), ...table]).stdout)).toMatchObject({ status: 'succeeded' });
  fs.writeFileSync(file, 'id\n2\n');
  expect(JSON.parse(cli(['process', file, ...dbArgs(), ...table]).stdout)).toMatchObject({ status: 'succeeded' });
  expect(await query(db.url, 'SELECT id FROM appended ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  const bad = cli(['process', file, ...dbArgs(), '--table', 'appended', '--column', 'id:integer', '--previous-versions', 'keep']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--previous-versions "keep" must be REPLACE or APPEND');
});

test('--parallelism 2 loads a large file through two connections into a partitioned table, every row once; a bad value names the flag', async () => {
  const rows = Array.from({ length: 120_000 }, (_, i) => `${i + 1},"note ${i + 1}, with a comma"`);
  const file = csv('parallel.csv', `id,note\n${rows.join('\n')}\n`);
  const table = ['--table', 'parallel_cli', '--column', 'id:integer:not-null', '--column', 'note:text', '--parallelism', '2'];
  const out = JSON.parse(cli(['process', file, ...dbArgs(), ...table]).stdout);
  expect(out).toMatchObject({ status: 'succeeded', rows: 120_000 });
  expect(await query(db.url, 'SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM parallel_cli')).toEqual([{ n: 120_000, ids: 120_000 }]);
  expect(await query(db.url, "SELECT relkind::text AS kind FROM pg_class WHERE relname = 'parallel_cli'")).toEqual([{ kind: 'p' }]);
  const bad = cli(['process', file, ...dbArgs(), '--table', 'parallel_cli', '--column', 'id:integer', '--parallelism', '0']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--parallelism.*must be a whole number from 1 to 64/);
});

test('a corrected file under the same name replaces the rows of the earlier one', async () => {
  const table = ['--table', 'corrected', '--column', 'id:integer:not-null', '--column', 'qty:integer'];
  const first = csv('day1.csv', 'id,qty\n1,10\n2,20\n');
  expect(JSON.parse(cli(['process', first, ...dbArgs(), ...table]).stdout)).toMatchObject({ status: 'succeeded', rows: 2 });
  fs.writeFileSync(first, 'id,qty\n1,11\n2,21\n3,31\n');
  const second = JSON.parse(cli(['process', first, ...dbArgs(), ...table]).stdout);
  expect(second).toMatchObject({ status: 'succeeded', rows: 3, reason: expect.stringMatching(/replaced the earlier versions' rows/) });
  expect(await query(db.url, 'SELECT id, qty FROM corrected ORDER BY id')).toEqual([{ id: 1, qty: 11 }, { id: 2, qty: 21 }, { id: 3, qty: 31 }]);
  expect(await query(db.url, "SELECT status FROM file_metadata WHERE key = 'day1.csv' ORDER BY id")).toEqual([{ status: 'replaced' }, { status: 'succeeded' }]);
});

test('a bad file: exit 1 with the reason; a fixed rerun of the same bytes is retried', () => {
  const file = csv('broken.csv', 'a,b\n1,2\n3\n');
  const r = cli(['process', file, ...dbArgs()]);
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', rows: null, error: expect.stringMatching(/line 3/) });
  // Deliberate reruns of a failed file are processed again (unlike Lambda retries).
  const again = JSON.parse(cli(['process', file, ...dbArgs()]).stdout);
  expect(again).toMatchObject({ status: 'failed', attempt: 2 });
});

test('empty and header-only files follow the documented rule', () => {
  expect(JSON.parse(cli(['process', csv('empty.csv', ''), ...dbArgs()]).stdout)).toMatchObject({ status: 'failed', error: expect.stringMatching(/empty \(0 bytes\)/) });
  expect(JSON.parse(cli(['process', csv('header.csv', 'a,b\n'), ...dbArgs()]).stdout)).toMatchObject({ status: 'succeeded', rows: 0 });
});

test('an unreachable database: exit 1, the error names host and port', async () => {
  const port = await freePort();
  const r = cli(['process', csv('x.csv', 'a\n1\n'), '--database-url', `postgres://postgres@127.0.0.1:${port}/db`, '--ssl', 'disable']);
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout).error).toContain(`127.0.0.1:${port}`);
});

test.each([
  [['frobnicate'], /Unknown command "frobnicate"/],
  [[], /Missing command/],
  [['process'], /Missing the CSV file/],
  [['process', 'nope.csv', '--database-url', 'postgres://h/d'], /File not found: nope.csv/],
  [['process', 'x.csv', '--bogus'], /Unknown option '--bogus'/],
  [['process', 'x.csv', '--ssl', 'maybe', '--database-url', 'postgres://h/d'], /--ssl must be "verify-full" or "disable"/],
  [['process', 'x.csv'], /Missing --database-url/],
  [['process', 'x.csv', '--database-url', 'mysql://h/d'], /must start with postgres:\/\//],
])('usage error %j: exit 2 with a message on stderr', (args, message) => {
  const r = cli(args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toContain('Usage:');
  expect(r.stdout).toBe('');
});
