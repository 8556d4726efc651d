import { errorOf, openTestDb, tableConfig, TestDb, whole } from './helpers';
import { InputError } from '../../../src/runtime/contract/errors';
import { fieldCheckFor, UNSURE, VALID } from '../../../src/runtime/load/field-types';
import type { PostgresTableSinkConfig } from '../../../src/shared/sink-config';

/**
 * The checks may only say VALID for values PostgreSQL accepts and give a
 * reason only for values it refuses (with the same message); this compares
 * them with the real server value by value. Every value, whatever the check
 * says (including UNSURE, which leaves the value to PostgreSQL), then goes
 * through the loader, which must store what PostgreSQL stores or report
 * PostgreSQL's reason with the line and column.
 */
const CASES: Record<string, string[]> = {
  'smallint': ['0', '-32768', '32767', '32768', ' 12 ', '1_000', '0x1F', '12x', 'abc', '', '1.5', '+7', '-'],
  'integer': ['42', '-2147483648', '2147483647', '2147483648', '00000000000012', 'n/a', '1e3', '  -5', '0b101', '٣', '999999999', '-999999999', '-0', '-', '+5', '5 ', '-00000000001', '9999999999'],
  'bigint': ['9223372036854775807', '9223372036854775808', '-9223372036854775808', '123456789012345678901', 'x'],
  'numeric(8,2)': ['123456.78', '1234567.8', '999999.995', '0.001', '-0', '.5', '5.', '1e5', 'NaN', 'Infinity', 'abc', '', '000123456.7', '1,5', '12345.678', '-12345.67', '00.5', '0', '-0.25', '-.5', '1.2.3', '99999.999', '-'],
  'numeric(2,2)': ['0.99', '0.5', '1.5', '.25'],
  'numeric': ['1234567890123456789012345678901234567890.5', '-1.5e-10', 'twelve'],
  'real': ['1.5', '3.5e38', '1e-50', 'inf', '-Infinity', 'nan', 'x1', '0x10', ''],
  'double precision': ['1.5', '1e308', '1e309', '-0.0', 'abc'],
  'boolean': ['t', 'TRUE', 'tr', 'f', 'no', 'of', 'o', 'on', 'off', '1', '0', ' yes ', 'maybe', '', '2'],
  'date': ['2024-02-29', '2023-02-29', '2023-13-01', '2023-00-10', '2024-01-05 10:00', 'today', 'epoch', 'notadate', 'Jan 5 2024', '05/01/2024', '', '2024-1-5', '20240105', '2000-02-29', '1900-02-29', '2023-04-31', '2023-04-30', '2024-02-28', '2024-02-30'],
  'timestamp': ['2024-01-05 10:11:12', '2024-01-05T10:11:12.123456', '2024-01-05 25:00:00', '2024-01-05 24:00:00', '2024-01-05 10:61', '2024-01-05', 'now', 'nope', '2000-02-29 00:00:00', '2100-02-29 12:00', '2023-06-31 01:02:03', '2024-01-05 23:59:59', '2024-01-05 23:59:59.', '0000-01-05 10:00:00', '2024-01-05T10:11:12', '2024-01-05 10:11:12 '],
  'timestamptz': ['2024-01-05 10:11:12.5+00', '2024-01-05 10:11:12+05:30', '2024-01-05T10:11:12Z', '2024-01-05 10:11:12-0800', '2024-01-05 10:11:60', '2024-02-30 10:00', 'garbage', '2024-01-05 10:11:12.123456+14', '2024-01-05 10:11:12+15', '2024-01-05 10:11:12z', '2024-01-05 10:11:12Zx', '2024-01-05 10:11:12+1', '2024-01-05 10:11:12-08:30', '2024-02-29 00:00:00+00', '2023-02-29 00:00:00+00', '2024-12-31 00:00:00.5-00'],
  'varchar(3)': ['abc', 'abcd', 'ab  ', 'abc   ', 'äöü', 'äöüx'],
  'char(2)': ['ab', 'abc', 'a  '],
  'uuid': ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{a0eebc999c0b4ef8bb6d6bb9bd380a11}', 'a0eebc99', 'not-a-uuid'],
  'jsonb': ['{"a":1}', '{bad'],
};

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb();
});

afterAll(() => db.close());

/** `at`: for values that depend on the clock, the stored instant (seconds since the epoch). */
type Outcome = { stored: string | null; at?: number } | { error: string };

/** Values whose stored form depends on the clock: compared as instants, at most a day apart (`today` near midnight). */
const CLOCK_DEPENDENT = new Set(['now', 'today']);
const selectStored = (table: string, value: string) =>
  `SELECT x::text AS x${CLOCK_DEPENDENT.has(value) ? ', extract(epoch FROM x)::float8 AS at' : ''} FROM ${table}`;

/** What PostgreSQL does with the value on its own: stores it (shown as text) or refuses it. */
async function postgresAlone(type: string, value: string): Promise<Outcome> {
  // An INSERT, like COPY, applies assignment rules (an explicit cast would truncate varchar silently).
  await db.client.query('BEGIN');
  try {
    await db.client.query(`CREATE TEMP TABLE v (x ${type}) ON COMMIT DROP`);
    await db.client.query('INSERT INTO v VALUES ($1)', [value]);
    const row = (await db.client.query(selectStored('v', value))).rows[0];
    return CLOCK_DEPENDENT.has(value) ? { stored: row.x, at: row.at } : { stored: row.x };
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    await db.client.query('ROLLBACK');
  }
}

let tables = 0;
/** One table per type and policy, emptied before each value (creating ~400 tables took most of this suite's time). */
const made = new Map<string, PostgresTableSinkConfig>();

async function tableFor(type: string, badRows: 'FAIL_FILE' | 'SKIP_AND_REPORT'): Promise<PostgresTableSinkConfig> {
  let config = made.get(`${type}/${badRows}`);
  if (!config) {
    config = tableConfig(`ft_${++tables}`, [{ name: 'x', type, nullable: true }], { badRows });
    await db.createTable(config);
    made.set(`${type}/${badRows}`, config);
  }
  await db.client.query(`TRUNCATE ${config.schema}.${config.table}`);
  return config;
}

/**
 * The value through the loader's checked path (the one that uses the checks):
 * a file `x,extra` whose extra column is dropped, so FAIL_FILE takes it too.
 * A value PostgreSQL stores must be stored as it is; a value it refuses must
 * fail the file (FAIL_FILE) or be rejected (SKIP_AND_REPORT) naming line 2,
 * column "x" and PostgreSQL's reason.
 */
async function expectLoaderToAgree(type: string, value: string, alone: Outcome): Promise<void> {
  const file = whole(`x,extra\n"${value.replace(/"/g, '""')}",e\n`);
  for (const badRows of ['FAIL_FILE', 'SKIP_AND_REPORT'] as const) {
    const config = await tableFor(type, badRows);
    if ('stored' in alone) {
      expect(await db.load(config, file)).toEqual({ rowsLoaded: 1, rowsRejected: 0, rejectsCsv: undefined });
      const row = (await db.client.query(selectStored(config.table, value))).rows[0];
      if (alone.at !== undefined) {
        expect(Math.abs(row.at - alone.at)).toBeLessThanOrEqual(24 * 3600);
      } else {
        expect(row.x).toBe(alone.stored);
      }
    } else if (badRows === 'FAIL_FILE') {
      const err = await errorOf(db.load(config, file));
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toBe(`line 2, column "x": ${alone.error}`);
      expect([err.line, err.column]).toEqual([2, 'x']);
      expect(await db.rows(config.table)).toEqual([]);
    } else {
      const outcome = await db.load(config, file);
      expect(outcome).toMatchObject({ rowsLoaded: 0, rowsRejected: 1 });
      expect(outcome.rejectsCsv!.startsWith(`line,reason,raw\n2,"column ""x"": ${alone.error.replace(/"/g, '""')}",`)).toBe(true);
    }
  }
}

describe.each(Object.entries(CASES))('%s check agrees with PostgreSQL', (type, values) => {
  test.each(values)('%j', async (value) => {
    const check = fieldCheckFor(type);
    const b = Buffer.from(value, 'utf8');
    const verdict = check(b, 0, b.length);
    const alone = await postgresAlone(type, value);
    if (verdict === VALID) expect(alone).toHaveProperty('stored');
    else if (verdict !== UNSURE) expect(alone).toEqual({ error: verdict });
    // Whatever the check said (UNSURE leaves the value to PostgreSQL), the file gets PostgreSQL's verdict.
    await expectLoaderToAgree(type, value, alone);
  });
});

test('known types are judged, not left to PostgreSQL', () => {
  const judged = (type: string, value: string) => fieldCheckFor(type)(Buffer.from(value), 0, value.length) !== UNSURE;
  expect(judged('integer', 'n/a')).toBe(true);
  expect(judged('date', '2023-02-30')).toBe(true);
  expect(judged('timestamptz', '2024-01-05 10:11:12.5+00')).toBe(true);
  expect(judged('numeric(12,2)', '1234.56')).toBe(true);
  expect(judged('boolean', 'maybe')).toBe(true);
});
