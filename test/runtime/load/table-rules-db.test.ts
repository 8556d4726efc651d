/**
 * The shared table-sink rules (src/shared/table-rules.ts) against a real
 * PostgreSQL: every type they accept creates a column of the expected type
 * through the sink's migration SQL and loads a row (fast COPY path and
 * checked path); accepted names are created exactly as written and table
 * names can be queried unquoted; what they refuse, PostgreSQL refuses or
 * would silently change.
 */
import { errorOf, openTestDb, TestDb, whole } from './helpers';
import { ColumnType, Sink } from '../../../src';
import { migrate } from '../../../src/runtime/ledger/migrations';
import { tableMigrationSql } from '../../../src/runtime/load';
import type { ColumnConfig, PostgresTableSinkConfig } from '../../../src/shared/sink-config';
import {
  COLUMN_TYPE_NAMES, columnNameProblem, normalizeColumnType, RESERVED_KEYWORDS, SYSTEM_COLUMN_NAMES, tableNameProblem,
} from '../../../src/shared/table-rules';

let db: TestDb;
/** Relations the pipeline's own migrations create, listed before any sink table exists. */
let pipelineRelations: string[];

beforeAll(async () => {
  db = await openTestDb();
  await db.client.query("SET TIME ZONE 'UTC'");
  await migrate(db.client);
  pipelineRelations = (await db.client.query(
    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1")).rows.map((r) => r.relname);
});
afterAll(() => db.close());

/** [spelling, CSV field, value as ::text, format_type() of the column]. */
const SPELLINGS: ReadonlyArray<readonly [string, string, string, string]> = [
  ['smallint', '12', '12', 'smallint'],
  ['int2', '-3', '-3', 'smallint'],
  ['integer', '2147483647', '2147483647', 'integer'],
  ['int', '1', '1', 'integer'],
  ['int4', '4', '4', 'integer'],
  ['bigint', '9007199254740993', '9007199254740993', 'bigint'],
  ['int8', '-8', '-8', 'bigint'],
  ['numeric', '3.14159', '3.14159', 'numeric'],
  ['numeric(12,2)', '1.5', '1.50', 'numeric(12,2)'],
  ['Numeric ( 12, 2 )', '2', '2.00', 'numeric(12,2)'],
  ['numeric(1000)', '7', '7', 'numeric(1000,0)'],
  ['decimal(5)', '42', '42', 'numeric(5,0)'],
  ['decimal(3,3)', '0.125', '0.125', 'numeric(3,3)'],
  ['real', '1.5', '1.5', 'real'],
  ['float4', '0.25', '0.25', 'real'],
  ['double precision', '2.25', '2.25', 'double precision'],
  ['Double  Precision', '-2.25', '-2.25', 'double precision'],
  ['float8', '-0.5', '-0.5', 'double precision'],
  ['float', '1e10', '10000000000', 'double precision'],
  ['float(24)', '0.5', '0.5', 'real'],
  ['float(53)', '0.125', '0.125', 'double precision'],
  ['boolean', 'yes', 'true', 'boolean'],
  ['bool', 'f', 'false', 'boolean'],
  ['text', '"hello, ""world"""', 'hello, "world"', 'text'],
  ['varchar', 'abc', 'abc', 'character varying'],
  ['varchar(20)', 'abc', 'abc', 'character varying(20)'],
  ['character varying ( 40 )', 'x', 'x', 'character varying(40)'],
  ['varchar(10485760)', 'big', 'big', 'character varying(10485760)'],
  ['char', 'z', 'z', 'character(1)'],
  ['char(3)', 'ab', 'ab', 'character(3)'], // char(n) pads; ::text drops the padding,
  ['character', 'k', 'k', 'character(1)'],
  ['character(2)', 'q', 'q', 'character(2)'],
  ['date', '2024-02-29', '2024-02-29', 'date'],
  ['time', '12:34:56.789', '12:34:56.789', 'time without time zone'],
  ['time(0)', '12:34:56.789', '12:34:57', 'time(0) without time zone'],
  ['time(2) without time zone', '01:02:03.456', '01:02:03.46', 'time(2) without time zone'],
  ['time with time zone', '12:00:00+02', '12:00:00+02', 'time with time zone'],
  ['timetz', '08:00:00-05', '08:00:00-05', 'time with time zone'],
  ['timetz(1)', '08:00:00.25-05', '08:00:00.3-05', 'time(1) with time zone'],
  ['timestamp', '2024-01-02 03:04:05.678901', '2024-01-02 03:04:05.678901', 'timestamp without time zone'],
  ['timestamp(3)', '2024-01-02 03:04:05.6789', '2024-01-02 03:04:05.679', 'timestamp(3) without time zone'],
  ['TIMESTAMP WITHOUT TIME ZONE', '2024-01-02 03:04:05', '2024-01-02 03:04:05', 'timestamp without time zone'],
  ['timestamp(3) with time zone', '2024-01-02T03:04:05.6789Z', '2024-01-02 03:04:05.679+00', 'timestamp(3) with time zone'],
  ['timestamptz', '2024-01-02 03:04:05+01', '2024-01-02 02:04:05+00', 'timestamp with time zone'],
  ['timestamptz(0)', '2024-01-02 03:04:05.5+00', '2024-01-02 03:04:06+00', 'timestamp(0) with time zone'],
  ['interval', '1 day 2 hours', '1 day 02:00:00', 'interval'],
  ['interval(6)', '1.5 seconds', '00:00:01.5', 'interval(6)'],
  ['uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'uuid'],
  ['json', '"{""a"": 1}"', '{"a": 1}', 'json'],
  ['jsonb', '"{""b"": [1, 2]}"', '{"b": [1, 2]}', 'jsonb'],
  ['bytea', '\\xdeadbeef', '\\xdeadbeef', 'bytea'],
  ['inet', '10.0.0.1', '10.0.0.1/32', 'inet'],
  ['cidr', '10.0.0.0/8', '10.0.0.0/8', 'cidr'],
  ['macaddr', '08:00:2b:01:02:03', '08:00:2b:01:02:03', 'macaddr'],
  ['text[]', '"{a,""b c""}"', '{a,"b c"}', 'text[]'],
  ['int []', '"{1,2}"', '{1,2}', 'integer[]'],
  ['numeric(12,2)[]', '"{1.5,2}"', '{1.50,2.00}', 'numeric(12,2)[]'],
  ['timestamp(3) with time zone[]', '"{""2024-01-02 03:04:05+00""}"', '{"2024-01-02 03:04:05+00"}', 'timestamp(3) with time zone[]'],
];

/** The type name a spelling is built on: `timestamp(3) with time zone[]` -> `timestamp`. */
function baseOf(spelling: string): string {
  return normalizeColumnType(spelling).replace(/\[\]$/, '').replace(/ with(out)? time zone$/, '').replace(/\(.*\)$/, '');
}

async function columnTypes(table: string): Promise<Array<{ name: string; type: string }>> {
  return (await db.client.query(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [table])).rows;
}

/** The columns' values of one loaded file, as text, in column order. */
async function loadedText(table: string, columns: readonly ColumnConfig[], fileId: number): Promise<string[]> {
  const list = columns.map((c, i) => `"${c.name}"::text AS v${i}`).join(', ');
  const { rows } = await db.client.query(`SELECT ${list} FROM ${table} WHERE _file_id = $1`, [fileId]);
  expect(rows).toHaveLength(1);
  return columns.map((_c, i) => rows[0][`v${i}`]);
}

describe('every accepted type creates and loads', () => {
  test('the spellings below cover every accepted type name', () => {
    expect(SPELLINGS.length).toBeGreaterThan(COLUMN_TYPE_NAMES.length);
    const covered = new Set(SPELLINGS.map(([spelling]) => baseOf(spelling)));
    expect(COLUMN_TYPE_NAMES.filter((name) => !covered.has(name))).toEqual([]);
  });

  // The construct normalises (ColumnType.of); the CLI and PIPELINE_SINKS pass
  // the spelling as written. Both must give the same columns and values.
  const viaConstruct = (): PostgresTableSinkConfig => JSON.parse(Sink.postgresTable({
    table: 'all_types',
    columns: SPELLINGS.map(([spelling], i) => ({ name: `c${i}`, dataType: ColumnType.of(spelling) })),
  }).bind(undefined as any, undefined as any).json);
  const asWritten = (): PostgresTableSinkConfig => ({
    kind: 'postgresTable',
    schema: 'public',
    table: 'all_types_raw',
    badRows: 'FAIL_FILE',
    extraColumns: 'IGNORE',
    columns: SPELLINGS.map(([spelling], i) => ({ name: `c${i}`, type: spelling, nullable: true })),
  });

  test.each([['Sink.postgresTable (normalised types)', viaConstruct], ['the CLI and PIPELINE_SINKS (types as written)', asWritten]])(
    'through %s', async (_how, configOf) => {
      const config = configOf();
      await db.createTable(config);
      expect(await columnTypes(config.table)).toEqual([
        ...SPELLINGS.map(([, , , type], i) => ({ name: `c${i}`, type })),
        { name: '_file_id', type: 'bigint' },
      ]);
      const csv = `${config.columns.map((c) => c.name).join(',')}\n${SPELLINGS.map(([, field]) => field).join(',')}\n`;
      const expected = SPELLINGS.map(([, , text]) => text);
      // FAIL_FILE takes the fast path (PostgreSQL parses every field) ...
      await expect(db.load(config, whole(csv), 1)).resolves.toMatchObject({ rowsLoaded: 1, rowsRejected: 0 });
      expect(await loadedText(config.table, config.columns, 1)).toEqual(expected);
      // ... SKIP_AND_REPORT the checked path, where the loader judges each field first.
      await expect(db.load({ ...config, badRows: 'SKIP_AND_REPORT' }, whole(csv), 2)).resolves.toMatchObject({ rowsLoaded: 1, rowsRejected: 0 });
      expect(await loadedText(config.table, config.columns, 2)).toEqual(expected);
    });
});

describe('names', () => {
  test('the pipeline\'s own tables, indexes and sequences cannot be sink tables', () => {
    expect(pipelineRelations).toEqual(expect.arrayContaining(['file_metadata', 'schema_migrations']));
    expect(pipelineRelations.filter((name) => tableNameProblem(name) === undefined)).toEqual([]);
  });

  test('every keyword PostgreSQL will not take as an unquoted table name is refused, and only those', async () => {
    const { rows } = await db.client.query<{ word: string; catcode: string }>('SELECT word, catcode FROM pg_get_keywords()');
    const needQuotes = rows.filter((r) => r.catcode === 'R' || r.catcode === 'T').map((r) => r.word);
    expect(needQuotes.length).toBeGreaterThan(50);
    expect(needQuotes.filter((w) => !RESERVED_KEYWORDS.includes(w))).toEqual([]);
    // Newer servers' keywords (system_user: PostgreSQL 16) may be absent from an older one, nothing else.
    expect(RESERVED_KEYWORDS.filter((w) => !needQuotes.includes(w) && w !== 'system_user')).toEqual([]);
    const others = rows.filter((r) => r.catcode === 'C' || r.catcode === 'U').map((r) => r.word);
    expect(others.filter((w) => tableNameProblem(w) !== undefined && !w.startsWith('file_metadata'))).toEqual([]);
  });

  test.each([
    ['public', 'between'],
    ['public', 'values'],
    ['public', '_staging'],
    ['public', 't'.repeat(51)],
    ['s'.repeat(63), 'orders'],
  ])('schema %s, table %s: created as written, queried unquoted, with its index', async (schema, table) => {
    const config: PostgresTableSinkConfig = {
      kind: 'postgresTable', schema, table, badRows: 'FAIL_FILE', extraColumns: 'IGNORE', columns: [{ name: 'id', type: 'integer', nullable: false }],
    };
    for (const sql of tableMigrationSql(config)) await db.client.query(sql);
    await db.load(config, whole('id\n1\n'), 7);
    await expect(db.client.query(`SELECT id FROM ${schema}.${table}`)).resolves.toMatchObject({ rows: [{ id: 1 }] });
    const { rows } = await db.client.query(
      'SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relname IN ($2, $3) ORDER BY c.relkind',
      [schema, table, `${table}_file_id_idx`]);
    expect(rows).toEqual([{ relname: `${table}_file_id_idx`, relkind: 'i' }, { relname: table, relkind: 'r' }]);
  });

  const COLUMN_NAMES = [
    'Order ID', 'Amount', 'amount', 'amount.total', 'unit-price', '$', 'price $', 'Größe (€)', "O'Brien",
    'XMIN', '_File_Id', '2024', 'a,b', 'x'.repeat(63), `${'é'.repeat(31)}x`,
  ];

  test('accepted column names are created exactly as written (case, punctuation, 63 bytes) and matched to headers exactly', async () => {
    expect(COLUMN_NAMES.filter((n) => columnNameProblem(n) !== undefined)).toEqual([]);
    const config: PostgresTableSinkConfig = JSON.parse(Sink.postgresTable({
      table: 'odd_names', columns: COLUMN_NAMES.map((name) => ({ name, dataType: ColumnType.TEXT })),
    }).bind(undefined as any, undefined as any).json);
    await db.createTable(config);
    expect((await columnTypes('odd_names')).map((c) => c.name)).toEqual([...COLUMN_NAMES, '_file_id']);
    const header = COLUMN_NAMES.map((n) => (n.includes(',') ? `"${n}"` : n)).join(',');
    const values = COLUMN_NAMES.map((_n, i) => `v${i}`);
    await db.load(config, whole(`${header}\n${values.join(',')}\n`), 3);
    expect(await loadedText('odd_names', config.columns, 3)).toEqual(values);
  });

  test('a bad value is reported against the column as declared, whatever its characters', async () => {
    const config: PostgresTableSinkConfig = JSON.parse(Sink.postgresTable({
      table: 'odd_errors', columns: [{ name: 'Größe (€)', dataType: ColumnType.INTEGER }, { name: 'a,b', dataType: ColumnType.INTEGER }],
    }).bind(undefined as any, undefined as any).json);
    await db.createTable(config);
    const first = await errorOf(db.load(config, whole('Größe (€),"a,b"\n1,2\nbig,3\n')));
    expect(first.message).toMatch(/^line 3, column "Größe \(€\)": invalid input syntax for type integer: "big"/);
    const second = await errorOf(db.load(config, whole('Größe (€),"a,b"\n1,x\n')));
    expect(second.message).toMatch(/^line 2, column "a,b": invalid input syntax for type integer: "x"/);
  });

  test('PostgreSQL refuses the system column names that are refused, but not other spellings of them', async () => {
    expect(SYSTEM_COLUMN_NAMES).toEqual(['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid']);
    for (const name of SYSTEM_COLUMN_NAMES) {
      expect(columnNameProblem(name)).toBe('is the name of a PostgreSQL system column');
      await expect(db.client.query(`CREATE TEMP TABLE sys_probe ("${name}" int)`)).rejects.toThrow(`column name "${name}" conflicts with a system column name`);
    }
    for (const name of SYSTEM_COLUMN_NAMES.map((n) => n.toUpperCase())) {
      expect(columnNameProblem(name)).toBeUndefined();
      await db.client.query(`CREATE TEMP TABLE sys_probe ("${name}" int); DROP TABLE sys_probe`);
    }
  });

  test('PostgreSQL truncates a 64-byte name, which is why it is refused', async () => {
    const name = `${'é'.repeat(31)}xy`;
    expect(Buffer.byteLength(name)).toBe(64);
    expect(columnNameProblem(name)).toMatch(/is 64 bytes long in UTF-8/);
    const { rows } = await db.client.query('SELECT $1::text::name::text AS stored', [name]);
    expect(rows[0].stored).not.toBe(name);
  });
});
