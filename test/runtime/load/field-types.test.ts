import { Client } from 'pg';
import { fieldCheckFor, UNSURE, VALID } from '../../../src/runtime/load/field-types';
import { createTestDatabase } from '../../support/db';

/**
 * The checks may only say VALID for values PostgreSQL accepts and give a
 * reason only for values it refuses (with the same message); this compares
 * them with the real server value by value.
 */
const CASES: Record<string, string[]> = {
  'smallint': ['0', '-32768', '32767', '32768', ' 12 ', '1_000', '0x1F', '12x', 'abc', '', '1.5', '+7', '-'],
  'integer': ['42', '-2147483648', '2147483647', '2147483648', '00000000000012', 'n/a', '1e3', '  -5', '0b101', '٣'],
  'bigint': ['9223372036854775807', '9223372036854775808', '-9223372036854775808', '123456789012345678901', 'x'],
  'numeric(8,2)': ['123456.78', '1234567.8', '999999.995', '0.001', '-0', '.5', '5.', '1e5', 'NaN', 'Infinity', 'abc', '', '000123456.7', '1,5'],
  'numeric': ['1234567890123456789012345678901234567890.5', '-1.5e-10', 'twelve'],
  'real': ['1.5', '3.5e38', '1e-50', 'inf', '-Infinity', 'nan', 'x1', '0x10', ''],
  'double precision': ['1.5', '1e308', '1e309', '-0.0', 'abc'],
  'boolean': ['t', 'TRUE', 'tr', 'f', 'no', 'of', 'o', 'on', 'off', '1', '0', ' yes ', 'maybe', '', '2'],
  'date': ['2024-02-29', '2023-02-29', '2023-13-01', '2023-00-10', '2024-01-05 10:00', 'today', 'epoch', 'notadate', 'Jan 5 2024', '05/01/2024', '', '2024-1-5', '20240105'],
  'timestamp': ['2024-01-05 10:11:12', '2024-01-05T10:11:12.123456', '2024-01-05 25:00:00', '2024-01-05 24:00:00', '2024-01-05 10:61', '2024-01-05', 'now', 'nope'],
  'timestamptz': ['2024-01-05 10:11:12.5+00', '2024-01-05 10:11:12+05:30', '2024-01-05T10:11:12Z', '2024-01-05 10:11:12-0800', '2024-01-05 10:11:60', '2024-02-30 10:00', 'garbage'],
  'varchar(3)': ['abc', 'abcd', 'ab  ', 'abc   ', 'äöü', 'äöüx'],
  'char(2)': ['ab', 'abc', 'a  '],
  'uuid': ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{a0eebc999c0b4ef8bb6d6bb9bd380a11}', 'a0eebc99', 'not-a-uuid'],
  'jsonb': ['{"a":1}', '{bad'],
};

let client: Client;
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await createTestDatabase('types');
  drop = db.drop;
  client = new Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client.end();
  await drop();
});

describe.each(Object.entries(CASES))('%s check agrees with PostgreSQL', (type, values) => {
  test.each(values)('%j', async (value) => {
    const check = fieldCheckFor(type);
    const b = Buffer.from(value, 'utf8');
    const verdict = check(b, 0, b.length);
    let pgError: string | undefined;
    // An INSERT, like COPY, applies assignment rules (an explicit cast would truncate varchar silently).
    await client.query('BEGIN');
    try {
      await client.query(`CREATE TEMP TABLE v (x ${type}) ON COMMIT DROP`);
      await client.query('INSERT INTO v VALUES ($1)', [value]);
    } catch (e) {
      pgError = (e as Error).message;
    } finally {
      await client.query('ROLLBACK');
    }
    if (verdict === VALID) expect(pgError).toBeUndefined();
    else if (verdict !== UNSURE) expect(pgError).toBe(verdict);
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
