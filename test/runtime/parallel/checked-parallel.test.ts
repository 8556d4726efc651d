/**
 * Checked loads (SKIP_AND_REPORT, and FAIL_FILE files with extra columns to
 * drop) through several connections, against PostgreSQL: the table and the
 * outcome, rejects report byte for byte, are those of a one-connection load
 * of the same file, for files with every kind of bad row at random places,
 * with segments small enough that their edges fall next to quoted line
 * breaks, unclosed quotes and blank lines.
 */
import { Readable } from 'stream';
import { Client } from 'pg';
import { createTable, loadFile, partitionsOf, stagingTablesIn } from './helpers';
import { prng } from '../../../bench/csv-generator';
import type { FileContext, SinkOutcome } from '../../../src/runtime/contract/sink-api';
import type { ParallelLoadOptions, ParallelStep } from '../../../src/runtime/load/parallel/parallel-copy';
import type { ColumnConfig, PostgresTableSinkConfig } from '../../../src/shared/sink-config';
import { createTestDatabase } from '../../support/db';
import { chunked, tableConfig } from '../load/helpers';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: Client;

beforeAll(async () => {
  db = await createTestDatabase('parchk');
  client = new Client({ connectionString: db.url });
  await client.connect();
}, 120_000);

afterAll(async () => {
  await client.end();
  await db.drop();
});

const COLUMNS: ColumnConfig[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'name', type: 'text', nullable: false },
  { name: 'amount', type: 'numeric(8,2)', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'ok', type: 'boolean', nullable: true },
  // No check in JavaScript: PostgreSQL refuses bad JSON, and the batch is re-sent without it.
  { name: 'doc', type: 'jsonb', nullable: true },
];

const KINDS = [
  'quoted line breaks', 'type mismatch', 'impossible date', 'too few fields', 'too many fields', 'NULL in NOT NULL', 'invalid UTF-8',
  'unclosed quote', 'blank lines', 'bad JSON', 'CHECK violation', 'end-of-data marker', 'carriage return in quotes',
] as const;

/**
 * `rows` records, one in `badEvery` (about) of a random kind, with an
 * `extra` column when asked; the table's CHECK (amount < 90000) refuses
 * rows the JavaScript checks pass.
 */
function messyCsv(rows: number, seed: number, badEvery: number, extra = false, eol = '\n'): Buffer {
  const rand = prng(seed);
  const parts: Buffer[] = [Buffer.from(`id,name,amount,day,ok,doc${extra ? ',extra' : ''}${eol}`)];
  const more = extra ? ',dropped' : '';
  for (let i = 1; i <= rows; i++) {
    const amount = (rand() * 80000).toFixed(2);
    const good = `${i},"name ${i}, the ""${i % 7}""",${amount},2024-0${1 + (i % 9)}-1${i % 10},${i % 2 ? 't' : 'false'},"{""k"": ${i}}"${more}`;
    let row: string | Buffer = good;
    // Not the first: a quote it left open could end the record at a carriage return, which would then be the file's line ending.
    if (rand() < 1 / badEvery && i > 1) {
      switch (KINDS[Math.floor(rand() * KINDS.length)]) {
        case 'quoted line breaks': row = `${i},"first${eol}second${eol}${eol}third",${amount},,,${more}`; break;
        case 'type mismatch': row = `${i},n,12x.5,,,${more}`; break;
        case 'impossible date': row = `${i},n,1,2023-02-30,,${more}`; break;
        case 'too few fields': row = `${i},n`; break;
        case 'too many fields': row = `${i},n,1,,,,,,${more}`; break;
        case 'NULL in NOT NULL': row = `${i},,1,,,${more}`; break;
        case 'invalid UTF-8': row = Buffer.concat([Buffer.from(`${i},caf`), Buffer.from([0xe9]), Buffer.from(`,1,,,${more}`)]); break;
        case 'unclosed quote': row = `${i},"never closed,1,,,${more}`; break;
        case 'blank lines': row = `${eol}${good}${eol}`; break;
        case 'bad JSON': row = `${i},n,1,,,"{bad"${more}`; break;
        case 'CHECK violation': row = `${i},n,95000.00,,,${more}`; break;
        case 'end-of-data marker': row = `\\.${eol}${good}`; break;
        case 'carriage return in quotes': row = `${i},"a\rb",1,,,${more}`; break;
      }
    }
    parts.push(typeof row === 'string' ? Buffer.from(row) : row, Buffer.from(eol));
  }
  return Buffer.concat(parts);
}

async function createWithCheck(config: PostgresTableSinkConfig): Promise<void> {
  await createTable(client, config);
  await client.query(`ALTER TABLE ${config.table} ADD CONSTRAINT ${config.table}_amount CHECK (amount < 90000)`);
}

async function tableRows(table: string): Promise<string> {
  const r = await client.query(`SELECT string_agg(row(id, name, amount, day, ok, doc)::text, E'\\n' ORDER BY id) AS t FROM ${table}`);
  return r.rows[0].t ?? '';
}

interface Both { one: SinkOutcome | Error; oneRows: string; par: SinkOutcome | Error; parRows: string; steps: ParallelStep[] }

/**
 * Loads `csv` into table `name` (partitioned, `parallelism`) through one
 * connection (a segment larger than the file), then into the table created
 * again through several: PostgreSQL's messages name the partition, so both
 * load into the same one.
 */
async function both(
  name: string, csv: Buffer, over: Partial<PostgresTableSinkConfig>, parallelism: number, options: ParallelLoadOptions,
): Promise<Both> {
  const config = tableConfig(name, COLUMNS, { ...over, parallelism });
  const open = chunked(csv, 333);
  const run = async (o: ParallelLoadOptions) => {
    await createWithCheck(config);
    const steps: ParallelStep[] = [];
    const outcome = await loadFile(client, config, open, {}, { ...o, onStep: (s) => { steps.push(s); } }).catch((e: Error) => e);
    return { outcome, rows: await tableRows(name), steps };
  };
  const one = await run({ segmentBytes: 1e12 });
  expect(one.steps).toEqual([]);
  const par = await run(options);
  return { one: one.outcome, oneRows: one.rows, par: par.outcome, parRows: par.rows, steps: par.steps };
}

const WHOLE_LOAD: ParallelStep[] = ['staging-created', 'segment-copied', 'worker-committed', 'parts-committed', 'attached'];

describe('SKIP_AND_REPORT through several connections equals one connection: table and rejects report, byte for byte', () => {
  test.each([
    ['LF, 3 connections, 700-byte segments', 3, 700, 1, '\n', false],
    ['LF, 2 connections, 1500-byte segments', 2, 1500, 2, '\n', false],
    ['CRLF, 4 connections, 1000-byte segments', 4, 1000, 3, '\r\n', false],
    ['extra column dropped, 2 connections, 900-byte segments', 2, 900, 4, '\n', true],
    ['every row in 3 bad, 3 connections, 600-byte segments', 3, 600, 5, '\n', false],
  ] as const)('%s', async (_title, parallelism, segmentBytes, seed, eol, extra) => {
    const csv = messyCsv(3000, seed, seed === 5 ? 3 : 12, extra, eol);
    const { one, oneRows, par, parRows, steps } = await both('chk', csv, { badRows: 'SKIP_AND_REPORT' }, parallelism, { segmentBytes });
    expect(steps).toEqual(WHOLE_LOAD);
    expect(one).not.toBeInstanceOf(Error);
    const expected = one as SinkOutcome;
    expect(expected.rowsRejected).toBeGreaterThan(100);
    expect(par).toEqual(expected);
    expect(Buffer.from((par as SinkOutcome).rejectsCsv!)).toEqual(Buffer.from(expected.rejectsCsv!));
    // Every kind of bad row is in the report, PostgreSQL's refusals too.
    for (const reason of ['invalid input syntax for type numeric', 'date/time field value out of range', 'missing data for column', 'extra data after last expected column',
      'violates not-null constraint', 'invalid byte sequence', 'unterminated CSV quoted field', 'invalid input syntax for type json', 'violates check constraint']) {
      expect(expected.rejectsCsv).toContain(reason);
    }
    expect(parRows).toEqual(oneRows);
    expect(await partitionsOf(client, 'chk')).toEqual(["chk__f1 FOR VALUES IN ('1')"]);
    expect(await stagingTablesIn(client)).toEqual([]);
  }, 60_000);

  test('past the report\'s 4 MB cap: the same rows listed, the same count of the others', async () => {
    // 30,000 rejects of ~230 bytes (PostgreSQL's refusals among them, found after later rows were checked).
    const big = `${'x'.repeat(180)}`;
    const lines = ['id,name,amount,day,ok,doc'];
    for (let i = 1; i <= 36_000; i++) {
      lines.push(i % 6 === 0 ? `${i},${big},1,,,` : i % 6 === 3 ? `${i},${big},1,,,"{bad"` : `${i},${big},n${i},,,`);
    }
    const { one, oneRows, par, parRows, steps } = await both('cap', Buffer.from(`${lines.join('\n')}\n`), { badRows: 'SKIP_AND_REPORT' }, 3, { segmentBytes: 64 * 1024 });
    expect(steps).toEqual(WHOLE_LOAD);
    const expected = one as SinkOutcome;
    expect(expected.rowsRejected).toBe(30_000);
    expect(expected.rejectsCsv).toMatch(/more rejected rows are not listed: the report is capped at 4194304 bytes/);
    expect(par).toEqual(expected);
    expect(parRows).toEqual(oneRows);
  }, 120_000);
});

describe('FAIL_FILE files with extra columns to drop (the checked path) through several connections', () => {
  test('a clean file: the same rows as one connection', async () => {
    const csv = messyCsv(2000, 7, 1e9, true);
    const { one, oneRows, par, parRows, steps } = await both('xtra', csv, {}, 3, { segmentBytes: 800 });
    expect(steps).toEqual(WHOLE_LOAD);
    expect(par).toEqual(one);
    expect((one as SinkOutcome).rowsLoaded).toBe(2000);
    expect(parRows).toEqual(oneRows);
  });

  test.each([
    ['a bad date far into the file', 'impossible'],
    ['an unclosed quote', 'unclosed'],
    ['a row PostgreSQL refuses (CHECK)', 'check'],
  ])('%s: the same error, line and column as one connection, nothing loaded', async (_title, what) => {
    const csv = messyCsv(2000, 8, 1e9, true).toString().replace(/\n1700,[^\n]*/, {
      impossible: '\n1700,n,1,2023-02-30,,,z', unclosed: '\n1700,"n,1,,,,z', check: '\n1700,n,95000,,,,z',
    }[what]!);
    const { one, par } = await both('xfail', Buffer.from(csv), {}, 3, { segmentBytes: 800 });
    expect(one).toBeInstanceOf(Error);
    expect((par as Error).message).toBe((one as Error).message);
    expect((par as Error).message).toMatch(/^line 1701/);
    expect((await client.query('SELECT count(*)::int AS n FROM xfail')).rows[0].n).toBe(0);
    expect(await stagingTablesIn(client)).toEqual([]);
  });
});

test('SKIP_AND_REPORT versions: a new version replaces the earlier one, the same version again replaces itself (never duplicated)', async () => {
  const config = tableConfig('chk_versions', COLUMNS, { badRows: 'SKIP_AND_REPORT', parallelism: 2 });
  await createWithCheck(config);
  const load = (csv: Buffer, file: Partial<FileContext>) => loadFile(client, config, chunked(csv, 500), file, { segmentBytes: 2000 });
  const byFile = async () => (await client.query('SELECT _file_id::int AS f, count(*)::int AS n FROM chk_versions GROUP BY 1 ORDER BY 1')).rows;
  const v1 = await load(messyCsv(1500, 11, 10), { fileId: 1 });
  expect(v1.rowsLoaded).toBeGreaterThan(1000);
  expect(await byFile()).toEqual([{ f: 1, n: v1.rowsLoaded }]);
  const v2 = await load(messyCsv(1200, 12, 10), { fileId: 2, earlierFileIds: [1] });
  expect(await byFile()).toEqual([{ f: 2, n: v2.rowsLoaded }]);
  // Forced reprocessing of the same version: its partition is in, so it reloads in place.
  expect(await load(messyCsv(1200, 12, 10), { fileId: 2, earlierFileIds: [1] })).toEqual(v2);
  expect(await byFile()).toEqual([{ f: 2, n: v2.rowsLoaded }]);
});

test('a table with a unique index loads through one connection (two workers\' open transactions would wait for each other): duplicates rejected as by one', async () => {
  const config = tableConfig('uniq', COLUMNS, { badRows: 'SKIP_AND_REPORT', parallelism: 2 });
  const csv = Buffer.from(messyCsv(2000, 13, 1e9).toString().replace(/\n1900,/, '\n5,'));
  await createTable(client, config);
  await client.query('CREATE UNIQUE INDEX ON uniq (id, _file_id)');
  const steps: string[] = [];
  const out = await loadFile(client, config, chunked(csv, 500), {}, { segmentBytes: 2000, onStep: (s) => { steps.push(s); } });
  expect(steps).toEqual([]);
  expect(out).toMatchObject({ rowsLoaded: 1999, rowsRejected: 1 });
  expect(out.rejectsCsv).toMatch(/^1901,.*duplicate key value/m);
});

test('a file of one segment loads through one connection into its partition', async () => {
  const config = tableConfig('chk_small', COLUMNS, { badRows: 'SKIP_AND_REPORT', parallelism: 3 });
  await createWithCheck(config);
  const steps: string[] = [];
  const out = await loadFile(client, config, async () => Readable.from([messyCsv(20, 14, 3)]), {}, { onStep: (s) => { steps.push(s); } });
  expect(steps).toEqual([]);
  expect(out.rowsLoaded + out.rowsRejected).toBeGreaterThan(15);
  expect(await partitionsOf(client, 'chk_small')).toEqual(["chk_small__f1 FOR VALUES IN ('1')"]);
});
