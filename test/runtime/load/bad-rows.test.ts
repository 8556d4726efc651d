import { chunked, COLUMNS, errorOf, openTestDb, tableConfig, TestDb, whole } from './helpers';
import { InputError } from '../../../src/runtime/contract/errors';

const HEADER = 'id,name,amount,day,ok\n';
const GOOD = '1,Ann,1.50,2024-01-01,t\n2,"Smith, ""Bob""",2.00,2024-01-02,f\n3,Cy,,,\n';
const AFTER = '5,Eve,5.00,2024-01-05,t\n';
const b = (s: string) => Buffer.from(s, 'utf8');

/** Each bad row sits on line 5, between good rows. */
const CASES: { kind: string; row: Buffer; reason: string; column?: string; fastReason?: string; fastColumn?: string | null }[] = [
  { kind: 'too few fields', row: b('4,Dee,1.00,2024-01-04\n'), reason: 'missing data for column "ok"', column: undefined, fastColumn: 'ok' },
  { kind: 'too many fields', row: b('4,Dee,1.00,2024-01-04,t,extra\n'), reason: 'extra data after last expected column' },
  { kind: 'type mismatch', row: b('4,Dee,abc,2024-01-04,t\n'), reason: 'invalid input syntax for type numeric: "abc"', column: 'amount' },
  { kind: 'date out of range', row: b('4,Dee,1.00,2023-02-30,t\n'), reason: 'date/time field value out of range: "2023-02-30"', column: 'day' },
  { kind: 'numeric overflow', row: b('4,Dee,1234567.00,2024-01-04,t\n'), reason: 'numeric field overflow', column: 'amount' },
  { kind: 'bad quoting', row: b('4,"Dee,1.00,2024-01-04,t\n'), reason: 'unterminated CSV quoted field' },
  { kind: 'NULL in NOT NULL column', row: b('4,,1.00,2024-01-04,t\n'), reason: 'null value in column "name"', column: 'name' },
  {
    kind: 'invalid UTF-8',
    row: Buffer.concat([b('4,D'), Buffer.from([0xff, 0xfe]), b('e,1.00,2024-01-04,t\n')]),
    reason: 'invalid byte sequence for encoding "UTF8"',
    column: 'name',
    fastColumn: null,
  },
];

let db: TestDb;
const config = tableConfig('items', COLUMNS);

beforeAll(async () => {
  db = await openTestDb();
  await db.createTable(config);
});
afterAll(() => db.close());
beforeEach(() => db.client.query('TRUNCATE items'));

describe.each(CASES)('$kind', ({ row, reason, column, fastColumn }) => {
  const file = Buffer.concat([b(HEADER), b(GOOD), row, b(AFTER)]);

  test('FAIL_FILE (COPY fast path) names line, column and reason, and loads nothing', async () => {
    // Rows from an earlier successful load of the same file must survive the failure.
    await db.load(config, whole(HEADER + GOOD), 7);
    const err = await errorOf(db.load(config, chunked(file, 5), 7));
    expect(err).toBeInstanceOf(InputError);
    expect(err.line).toBe(5);
    expect(err.message).toContain('line 5');
    expect(err.message).toContain(reason);
    const expectedColumn = fastColumn === null ? undefined : fastColumn ?? column;
    expect(err.column).toBe(expectedColumn);
    if (expectedColumn) expect(err.message).toContain(`column "${expectedColumn}"`);
    expect((await db.rows('items', 'id, _file_id')).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  test('FAIL_FILE (checked path, extra column ignored) names line, column and reason', async () => {
    // Every line gets one more field, which the header calls "extra" and the config ignores.
    const lines = file.toString('latin1').split('\n');
    const rebuilt = Buffer.from(lines.map((l, i) => (l === '' ? l : i === 0 ? `${l},extra` : `${l},x`)).join('\n'), 'latin1');
    const err = await errorOf(db.load(config, chunked(rebuilt, 5)));
    expect(err).toBeInstanceOf(InputError);
    expect(err.line).toBe(5);
    expect(err.message).toContain(reason.replace(' "ok"', ''));
    expect(err.column).toBe(column);
    expect(await db.rows('items')).toEqual([]);
  });

  test('SKIP_AND_REPORT loads the good rows and reports the bad one with its line', async () => {
    const outcome = await db.load({ ...config, badRows: 'SKIP_AND_REPORT' }, chunked(file, 5));
    expect(outcome.rowsLoaded).toBe(4);
    expect(outcome.rowsRejected).toBe(1);
    const report = outcome.rejectsCsv!.split('\n');
    expect(report[0]).toBe('line,reason,raw');
    expect(report[1]).toMatch(/^5,/);
    expect(report[1]).toContain(reason.replace(/"/g, '""'));
    if (column) expect(report[1]).toContain(`""${column}""`);
    expect(report[2]).toBe('');
    expect((await db.rows('items', 'id')).map((r) => r.id)).toEqual([1, 2, 3, 5]);
  });
});

test('SKIP_AND_REPORT: a row only PostgreSQL can judge is rolled back and reported', async () => {
  const cfg = tableConfig('docs', [{ name: 'id', type: 'integer', nullable: false }, { name: 'doc', type: 'jsonb', nullable: true }], { badRows: 'SKIP_AND_REPORT' });
  await db.createTable(cfg);
  const csv = 'id,doc\n1,"{""a"":1}"\n2,{bad\n3,\n4,"[1,2]"\n5,"{oops"\n';
  const outcome = await db.load(cfg, chunked(csv, 4));
  expect(outcome).toMatchObject({ rowsLoaded: 3, rowsRejected: 2 });
  expect(outcome.rejectsCsv).toContain('3,"column ""doc"": invalid input syntax for type json"');
  expect(outcome.rejectsCsv).toContain('6,"column ""doc"": invalid input syntax for type json"');
  expect((await db.rows('docs', 'id')).map((r) => r.id)).toEqual([1, 3, 4]);
});

test('SKIP_AND_REPORT: every bad kind in one file', async () => {
  const file = Buffer.concat([b(HEADER), b(GOOD), ...CASES.map((c) => c.row), b(AFTER)]);
  const outcome = await db.load({ ...config, badRows: 'SKIP_AND_REPORT' }, chunked(file, 3));
  expect(outcome.rowsRejected).toBe(CASES.length);
  expect(outcome.rowsLoaded).toBe(4);
  const lines = outcome.rejectsCsv!.trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
  expect(lines).toEqual(CASES.map((_, i) => 5 + i));
});
