/**
 * One rule for blank lines on every path: the row count (no sink), the table
 * sink under FAIL_FILE (COPY fast path, and the checked path it takes when
 * the file has a column to drop), SKIP_AND_REPORT, and the CLI.
 *
 * A blank line (nothing between two line breaks, outside quotes) is not a
 * record: skipped, never loaded, never rejected, never an error. A line of
 * spaces is a record. Line numbers stay physical: blank lines count.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { bundleCli } from './cli-bundle';
import { chunked, errorOf, openTestDb, tableConfig, TestDb, whole } from './load/helpers';
import { InputError } from '../../src/runtime/contract/errors';
import { countCsvRecords } from '../../src/runtime/core/count-rows';
import type { ColumnConfig, PostgresTableSinkConfig } from '../../src/shared/sink-config';
import { createTestDatabase } from '../support/db';

const TABLES: Record<'two' | 'three' | 'one' | 'words', ColumnConfig[]> = {
  two: [{ name: 'a', type: 'integer', nullable: false }, { name: 'b', type: 'text', nullable: true }],
  three: [{ name: 'a', type: 'integer', nullable: false }, { name: 'b', type: 'text', nullable: true }, { name: 'c', type: 'integer', nullable: true }],
  one: [{ name: 'v', type: 'text', nullable: true }],
  // A text column first: COPY converts fields in order, so a short row is "missing data", not a bad integer.
  words: [{ name: 'w', type: 'text', nullable: false }, { name: 'n', type: 'integer', nullable: true }],
};

interface Case {
  name: string;
  csv: string;
  table: keyof typeof TABLES;
  /** The good rows, as SELECT returns them in the order of the first column. */
  rows: unknown[][];
  /** The one bad record: the line FAIL_FILE names and SKIP_AND_REPORT rejects. */
  bad?: { line: number; reason: string; column?: string; raw: string };
  /** What the row count says when it differs from `rows` (it checks structure, not types). */
  count?: number | { line: number };
}

const CASES: Case[] = [
  { name: 'a blank line between records', table: 'two', csv: 'a,b\n1,x\n\n2,y\n', rows: [[1, 'x'], [2, 'y']] },
  { name: 'a file ending in blank lines', table: 'three', csv: 'a,b,c\n1,a,1\n2,b,2\n\n\n', rows: [[1, 'a', 1], [2, 'b', 2]] },
  { name: 'CRLF, blank lines between records and at the end', table: 'two', csv: 'a,b\r\n1,x\r\n\r\n\r\n2,y\r\n\r\n', rows: [[1, 'x'], [2, 'y']] },
  { name: 'blank lines right after the header', table: 'two', csv: 'a,b\n\n\n1,x\n2,y\n', rows: [[1, 'x'], [2, 'y']] },
  { name: 'blank lines before the header', table: 'two', csv: '\n\na,b\n1,x\n\n2,y\n', rows: [[1, 'x'], [2, 'y']] },
  { name: 'many blank lines between many records', table: 'two', csv: 'a,b\n1,x\n\n\n\n2,y\n\n3,z\n\n4,w', rows: [[1, 'x'], [2, 'y'], [3, 'z'], [4, 'w']] },
  { name: 'CR line endings', table: 'two', csv: 'a,b\r1,x\r\r2,y\r\r', rows: [[1, 'x'], [2, 'y']] },
  { name: 'header and blank lines only', table: 'two', csv: 'a,b\n\n\n', rows: [] },
  {
    name: 'an empty line inside quotes is data',
    table: 'two',
    csv: 'a,b\n1,"p\n\nq"\n\n2,"\n"\n3,"\n\n"\n',
    rows: [[1, 'p\n\nq'], [2, '\n'], [3, '\n\n']],
  },
  { name: 'an empty CRLF line inside quotes is data', table: 'two', csv: 'a,b\r\n1,"p\r\n\r\nq"\r\n\r\n2,y\r\n', rows: [[1, 'p\r\n\r\nq'], [2, 'y']] },
  {
    name: 'one-column table: a blank line is skipped, "" is an empty value and spaces are a value',
    table: 'one',
    csv: 'v\na\n\n  \nb\n""\n\n',
    rows: [[''], ['  '], ['a'], ['b']],
  },
  {
    name: 'one-column table: a line \\. after a blank line is a value, not the end of the data',
    table: 'one',
    csv: 'v\na\n\n\\.\n\nb\n\n',
    rows: [['\\.'], ['a'], ['b']],
  },
  {
    name: 'a line of spaces between blank lines is a record, so it is ragged',
    table: 'words',
    csv: 'w,n\nx,1\n\n  \n\ny,2\n',
    rows: [['x', 1], ['y', 2]],
    bad: { line: 4, reason: 'missing data for column', raw: '  ' },
    count: { line: 4 },
  },
  {
    name: 'a ragged row after blank lines names its physical line',
    table: 'words',
    csv: 'w,n\nx,1\n\n\nlone\ny,3\n',
    rows: [['x', 1], ['y', 3]],
    bad: { line: 5, reason: 'missing data for column', raw: 'lone' },
    count: { line: 5 },
  },
  {
    name: 'a type error after a quoted empty line and blank lines names its physical line',
    table: 'two',
    csv: 'a,b\n1,"p\n\nq"\n\n\nnope,y\n4,z\n\n',
    rows: [[1, 'p\n\nq'], [4, 'z']],
    bad: { line: 7, reason: 'invalid input syntax for type integer: "nope"', column: 'a', raw: 'nope,y' },
    count: 3,
  },
  {
    name: 'after blank lines before the header, a bad row names its physical line',
    table: 'words',
    csv: '\r\n\r\nw,n\r\nx,1\r\n\r\nbad\r\n',
    rows: [['x', 1]],
    bad: { line: 6, reason: 'missing data for column', raw: 'bad' },
    count: { line: 6 },
  },
];

/**
 * The same file with one more field on every non-blank line (`extra` in the
 * header, which the sink ignores), so FAIL_FILE takes the checked path.
 */
function withExtraColumn(csv: string): string {
  let out = '';
  let inQuote = false;
  let lineHasData = false;
  let header = true;
  for (let i = 0; i < csv.length; i++) {
    const ch = csv[i];
    if (ch === '"') inQuote = !inQuote;
    if (!inQuote && (ch === '\n' || ch === '\r')) {
      if (lineHasData) out += header ? ',extra' : ',x';
      if (lineHasData) header = false;
      lineHasData = false;
      if (ch === '\r' && csv[i + 1] === '\n') { out += '\r'; i++; }
      out += csv[i];
      continue;
    }
    lineHasData = true;
    out += ch;
  }
  if (lineHasData) out += header ? ',extra' : ',x';
  return out;
}

let db: TestDb;
let n = 0;

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(() => db.close());

async function freshTable(c: Case, over: Partial<PostgresTableSinkConfig> = {}): Promise<PostgresTableSinkConfig> {
  const config = tableConfig(`blank_${++n}`, TABLES[c.table], over);
  await db.createTable(config);
  return config;
}

async function tableRows(config: PostgresTableSinkConfig): Promise<unknown[][]> {
  const cols = config.columns.map((c) => c.name);
  const order = config.columns[0].type === 'text' ? `${cols[0]} COLLATE "C"` : cols[0];
  const r = await db.client.query({ text: `SELECT ${cols.join(', ')} FROM ${config.table} ORDER BY ${order}`, rowMode: 'array' });
  return r.rows;
}

/** Whole, one byte at a time, and in 3-byte chunks, so CRLFs and runs of line breaks straddle chunk edges. */
const OPENERS: [string, (s: string) => () => Promise<Readable>][] = [
  ['whole', (s) => whole(s)],
  ['1-byte chunks', (s) => chunked(s, 1)],
  ['3-byte chunks', (s) => chunked(s, 3)],
];

describe.each(CASES)('$name', (c) => {
  test('count (no sink)', async () => {
    const expected = c.count ?? c.rows.length + (c.bad ? 1 : 0);
    for (const [, open] of OPENERS) {
      if (typeof expected === 'number') {
        expect((await countCsvRecords(await open(c.csv)())).rows).toBe(expected);
      } else {
        const err = await errorOf(countCsvRecords(await open(c.csv)()));
        expect(err).toBeInstanceOf(InputError);
        expect(err.line).toBe(expected.line);
        expect(err.message).toContain(`line ${expected.line}`);
      }
    }
  });

  test.each([
    ['FAIL_FILE (COPY fast path)', false],
    ['FAIL_FILE (checked path)', true],
  ])('%s', async (_path, extra) => {
    const csv = extra ? withExtraColumn(c.csv) : c.csv;
    for (const [how, open] of OPENERS) {
      const config = await freshTable(c);
      if (c.bad) {
        const err = await errorOf(db.load(config, open(csv)));
        expect([how, err]).toEqual([how, expect.any(InputError)]);
        expect([how, err.line]).toEqual([how, c.bad.line]);
        expect(err.message).toMatch(new RegExp(`^line ${c.bad.line}(, column "\\w+")?: `));
        expect(err.message).toContain(c.bad.reason);
        if (c.bad.column) expect(err.column).toBe(c.bad.column);
        expect(await tableRows(config)).toEqual([]);
      } else {
        const outcome = await db.load(config, open(csv));
        expect([how, outcome]).toEqual([how, { rowsLoaded: c.rows.length, rowsRejected: 0 }]);
        expect([how, await tableRows(config)]).toEqual([how, c.rows]);
      }
    }
  });

  test('SKIP_AND_REPORT', async () => {
    for (const [how, open] of OPENERS) {
      const config = await freshTable(c, { badRows: 'SKIP_AND_REPORT' });
      const outcome = await db.load(config, open(c.csv));
      expect([how, outcome.rowsLoaded, outcome.rowsRejected]).toEqual([how, c.rows.length, c.bad ? 1 : 0]);
      expect([how, await tableRows(config)]).toEqual([how, c.rows]);
      if (!c.bad) {
        expect(outcome.rejectsCsv).toBeUndefined();
        continue;
      }
      const report = outcome.rejectsCsv!.split('\n');
      expect(report).toHaveLength(3);
      expect(report[0]).toBe('line,reason,raw');
      expect(report[1].startsWith(`${c.bad.line},`)).toBe(true);
      expect(report[1]).toContain(c.bad.reason.replace(/"/g, '""'));
      expect(report[1].endsWith(`,${c.bad.raw.includes(',') ? `"${c.bad.raw}"` : c.bad.raw}`)).toBe(true);
      expect(report[2]).toBe('');
    }
  });
});

test('a file of blank lines only has no header, on every path', async () => {
  for (const csv of ['\n\n\n', '\r\n\r\n', '\ufeff\n']) {
    const counted = await errorOf(countCsvRecords(await whole(csv)()));
    expect(counted.message).toMatch(/no header line \(it contains only blank lines\)/);
    for (const badRows of ['FAIL_FILE', 'SKIP_AND_REPORT'] as const) {
      const config = await freshTable(CASES[0], { badRows });
      const err = await errorOf(db.load(config, chunked(csv, 1)));
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toBe('line 1: the file has no header line (it contains only blank lines)');
    }
  }
});

test('a header problem after blank lines names the header\'s physical line', async () => {
  const config = await freshTable(CASES[0]);
  const err = await errorOf(db.load(config, whole('\n\r\nb,c\n1,2\n')));
  expect(err.message).toBe('line 3: required column "a" missing from the header (found: "b", "c")');
  expect(err.line).toBe(3);
  const bom = await errorOf(db.load(config, chunked('\ufeff\n\nb\n1\n', 1)));
  expect(bom.message).toBe('line 3: required column "a" missing from the header (found: "b")');
});

/** Blank lines far beyond the first chunk, where the fast path must find out whether a quote is open. */
describe('large files', () => {
  const ROWS = 60_000;
  const config = tableConfig('blank_large', TABLES.two);

  /**
   * ~21 bytes a row; a blank line (or three) every `blankEvery` rows, so
   * with 4999 the first comes after the first 64 KiB chunk; every 7001st
   * value is quoted and spans lines (with an empty line in it if asked).
   */
  function bigCsv(blankEvery: number, tail: string, quotedEmptyLines: boolean): { csv: string; md5: string } {
    const out: string[] = ['a,b\n'];
    const values: string[] = [];
    for (let i = 1; i <= ROWS; i++) {
      const value = i % 7001 !== 0 ? `label, ${i}` : quotedEmptyLines ? `quoted\n\nempty line, "${i}"` : `quoted\nline, "${i}"`;
      values.push(value);
      out.push(`${i},"${value.replace(/"/g, '""')}"\n`);
      if (blankEvery > 0 && i % blankEvery === 0) out.push(i % 2 ? '\n' : '\n\n\n');
    }
    out.push(tail);
    return { csv: out.join(''), md5: createHash('md5').update(values.join('\n')).digest('hex') };
  }

  /** Opens the file as 64 KiB chunks and counts how often the sink opens it. */
  function counting(csv: string): { open: () => Promise<Readable>; opens: () => number } {
    let opens = 0;
    const open = chunked(csv, 65536);
    return { open: async () => { opens++; return open(); }, opens: () => opens };
  }

  async function summary(): Promise<{ n: number; sum: string | null; md5: string | null }> {
    return (await db.client.query("SELECT count(*)::int AS n, sum(a)::text AS sum, md5(string_agg(b, E'\\n' ORDER BY a)) AS md5 FROM blank_large")).rows[0];
  }

  beforeAll(() => db.createTable(config));
  beforeEach(() => db.client.query('TRUNCATE blank_large'));

  const loaded = (md5: string) => ({ n: ROWS, sum: String((ROWS * (ROWS + 1)) / 2), md5 });

  test.each(['FAIL_FILE', 'SKIP_AND_REPORT'] as const)('%s: blank lines every 4999 rows, quoted empty lines and blank lines at the end: every row once', async (badRows) => {
    const { csv, md5 } = bigCsv(4999, '\n\n\n', true);
    const file = counting(csv);
    const outcome = await db.load({ ...config, badRows }, file.open);
    expect(outcome).toMatchObject({ rowsLoaded: ROWS, rowsRejected: 0 });
    expect(outcome.rejectsCsv).toBeUndefined();
    expect(await summary()).toEqual(loaded(md5));
    // The fast path reads the file once, and its start once more to learn the quote state at the first blank line.
    expect(file.opens()).toBe(badRows === 'FAIL_FILE' ? 2 : 1);
  });

  test('FAIL_FILE: without blank lines, or with blank lines only at the end, the file is read once', async () => {
    // Up to 1 MiB of blank lines at the end are held back; more are resolved by reading the start again.
    for (const [tail, opens] of [['', 1], ['\n\n\n\n', 1], ['\n'.repeat(300_000), 1], ['\n'.repeat(1_200_000), 2]] as const) {
      await db.client.query('TRUNCATE blank_large');
      const { csv, md5 } = bigCsv(0, tail, false);
      const file = counting(csv);
      expect(await db.load(config, file.open)).toEqual({ rowsLoaded: ROWS, rowsRejected: 0 });
      expect(await summary()).toEqual(loaded(md5));
      expect([tail.length, file.opens()]).toEqual([tail.length, opens]);
    }
  });

  test.each(['FAIL_FILE', 'SKIP_AND_REPORT'] as const)('%s: a bad row after many blank lines and quoted empty lines names its physical line', async (badRows) => {
    const { csv } = bigCsv(4999, '\n', true);
    // Physical line of the record with a = 50000 (quoted values above it span several lines).
    const line = csv.split('\n').findIndex((l) => l.startsWith('50000,')) + 1;
    expect(line).toBeGreaterThan(50_001);
    const bad = csv.replace('\n50000,', '\n50000x,');
    if (badRows === 'FAIL_FILE') {
      const err = await errorOf(db.load(config, counting(bad).open));
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toBe(`line ${line}, column "a": invalid input syntax for type integer: "50000x"`);
      expect(await summary()).toEqual({ n: 0, sum: null, md5: null });
    } else {
      const outcome = await db.load({ ...config, badRows }, counting(bad).open);
      expect(outcome).toMatchObject({ rowsLoaded: ROWS - 1, rowsRejected: 1 });
      expect(outcome.rejectsCsv).toBe(`line,reason,raw\n${line},"column ""a"": invalid input syntax for type integer: ""50000x""","50000x,""label, 50000"""\n`);
    }
  });
});

describe('the CLI', () => {
  let work: string;
  let cliDb: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-blank-'));
    await bundleCli(path.join(work, 'cli.js'));
    cliDb = await createTestDatabase('blank_cli');
  });
  afterAll(async () => {
    await cliDb.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  function cli(file: string, content: string, args: string[]) {
    const csv = path.join(work, file);
    fs.writeFileSync(csv, content);
    const res = spawnSync(process.execPath, [path.join(work, 'cli.js'), 'process', csv, '--database-url', cliDb.url, '--ssl', 'disable',
      '--output-dir', path.join(work, 'out'), ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    return { code: res.status, json: res.stdout.trim() ? JSON.parse(res.stdout) : undefined, stderr: res.stderr };
  }

  const columns = ['--column', 'a:integer:not-null', '--column', 'b:text', '--column', 'c:integer'];

  test.each([
    ['count only', [] as string[]],
    ['table, FAIL_FILE', ['--table', 'cli_blank_fail', ...columns]],
    ['table, SKIP_AND_REPORT', ['--table', 'cli_blank_skip', ...columns, '--bad-rows', 'SKIP_AND_REPORT']],
  ])('%s: blank lines between records and at the end are skipped', (name, args) => {
    const r = cli(`${name.replace(/\W+/g, '-')}.csv`, 'a,b,c\n1,a,1\n\n2,b,2\n\n\n', args);
    expect(r.stderr).toBe('');
    expect(r.json).toMatchObject({ status: 'succeeded', rows: 2 });
    if (args.length > 0) expect(r.json.rowsRejected).toBe(0);
    expect(r.code).toBe(0);
  });

  test('table, FAIL_FILE: a line of spaces fails the file naming its physical line', () => {
    const r = cli('spaces.csv', 'w,n\nx,1\n\n\n  \ny,2\n', ['--table', 'cli_blank_spaces', '--column', 'w:text:not-null', '--column', 'n:integer']);
    expect(r.code).toBe(1);
    expect(r.json.status).toBe('failed');
    expect(r.json.error).toBe('line 5, column "n": missing data for column "n"');
  });
});
