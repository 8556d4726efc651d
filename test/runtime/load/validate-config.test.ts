import { COLUMNS, tableConfig } from './helpers';
import { tableMigrationSql, tableSinkConfigProblems, validateTableSinkConfig } from '../../../src/runtime/load';

describe('validateTableSinkConfig', () => {
  test('accepts a typical configuration', () => {
    expect(tableSinkConfigProblems(tableConfig('orders', [
      ...COLUMNS,
      { name: 'Order Date', type: 'timestamp(3) with time zone', nullable: true },
      { name: 'tags', type: 'text[]', nullable: true },
      { name: 'code', type: 'varchar(20)', nullable: true },
      { name: 'ratio', type: 'Double Precision', nullable: true },
      { name: 'label', type: 'character varying ( 40 )', nullable: true },
      { name: 'doc', type: 'jsonb', nullable: true },
    ]))).toEqual([]);
  });

  test.each([
    ['table', { table: 'orders; DROP TABLE x' }, 'table "orders; DROP TABLE x" must be a lower-case SQL name'],
    ['table with a quote', { table: 'a"b' }, 'table "a\\"b" must be a lower-case SQL name'],
    ['upper-case table', { table: 'Orders' }, 'table "Orders" must be lower case: use "orders"'],
    ['reserved-word table', { table: 'user' }, 'table "user" is a reserved word in PostgreSQL'],
    ['pipeline table', { table: 'file_metadata' }, 'table "file_metadata" is reserved by the pipeline'],
    ['schema', { schema: 'public.x' }, 'schema "public.x" must be a lower-case SQL name'],
    ['system schema', { schema: 'pg_catalog' }, 'schema "pg_catalog" is reserved for PostgreSQL\'s system schemas'],
    ['empty table', { table: '' }, 'table "" must not be empty'],
    ['missing table', { table: undefined }, 'table is missing'],
    ['long table', { table: 'x'.repeat(52) }, `table "${'x'.repeat(52)}" is 52 bytes long; table names are at most 51 bytes, so that the loader's index name <table>_file_id_idx fits`],
    ['long schema', { schema: 'x'.repeat(64) }, `schema "${'x'.repeat(64)}" is 64 bytes long; PostgreSQL names are at most 63 bytes (longer ones are truncated)`],
    ['badRows', { badRows: 'IGNORE' as any }, 'badRows "IGNORE" must be FAIL_FILE or SKIP_AND_REPORT'],
    ['extraColumns', { extraColumns: 'DROP' as any }, 'extraColumns "DROP" must be IGNORE or REJECT'],
    ['no columns', { columns: [] }, 'columns [] must declare at least one column'],
    ['columns that are not a list', { columns: 'id' as any }, 'columns "id" must be a list of columns'],
  ])('rejects a bad %s', (_what, over, message) => {
    const config = tableConfig('orders', COLUMNS, over as any);
    expect(() => validateTableSinkConfig(config)).toThrow(`Invalid postgresTable sink configuration: ${message}`);
  });

  test.each([
    [{ name: 'a"; DROP TABLE t; --', type: 'text', nullable: true }, 'columns[0].name "a\\"; DROP TABLE t; --" contains a double quote'],
    [{ name: 'x', type: 'text); DROP TABLE t; --', nullable: true }, 'columns[0].type "text); DROP TABLE t; --" is not a type name'],
    [{ name: 'x', type: "text DEFAULT 'a'", nullable: true }, 'columns[0].type "text DEFAULT \'a\'" is not a type name'],
    [{ name: 'x', type: 'text DEFAULT now', nullable: true }, 'columns[0].type "text DEFAULT now" is not a type name'],
    [{ name: 'x', type: 'int REFERENCES other', nullable: true }, 'columns[0].type "int REFERENCES other" is not a type name'],
    [{ name: 'x', type: 'public.citext', nullable: true }, 'columns[0].type "public.citext" is schema-qualified: only built-in PostgreSQL types are accepted'],
    [{ name: 'x', type: 'citext', nullable: true }, 'columns[0].type "citext" is not a built-in type the pipeline accepts'],
    [{ name: 'x', type: 'int[3]', nullable: true }, 'columns[0].type "int[3]" declares array sizes or dimensions, which PostgreSQL does not enforce: write "int[]"'],
    [{ name: 'x', type: 'numeric(5,6)', nullable: true }, 'columns[0].type "numeric(5,6)" has scale 6; it must be between 0 and 5'],
    [{ name: '_file_id', type: 'bigint', nullable: false }, 'columns[0].name "_file_id" is reserved: the loader adds a _file_id column to every table'],
    [{ name: 'xmin', type: 'bigint', nullable: false }, 'columns[0].name "xmin" is the name of a PostgreSQL system column'],
    [{ name: ' id', type: 'bigint', nullable: false }, 'columns[0].name " id" starts or ends with white space'],
    [{ name: 'x'.repeat(64), type: 'bigint', nullable: false }, 'is 64 bytes long in UTF-8; PostgreSQL names are at most 63 bytes'],
    [{ name: 'x', type: 'int', nullable: 'yes' as any }, 'columns[0].nullable "yes" must be true or false'],
    [{ name: 'x', type: 'int' } as any, 'columns[0].nullable is missing'],
  ])('rejects column %j', (column, message) => {
    expect(() => validateTableSinkConfig(tableConfig('orders', [column]))).toThrow(message);
  });

  test('rejects duplicate column names, compared exactly', () => {
    expect(() => validateTableSinkConfig(tableConfig('orders', [COLUMNS[0], COLUMNS[0]])))
      .toThrow('columns[1].name "id" is declared twice (also columns[0].name;');
    expect(tableSinkConfigProblems(tableConfig('orders', [COLUMNS[0], { ...COLUMNS[0], name: 'ID' }]))).toEqual([]);
  });

  test('lists every problem, not just the first', () => {
    expect(tableSinkConfigProblems(tableConfig('Orders', [{ name: 'xmin', type: 'citext', nullable: true }]))).toEqual([
      expect.stringMatching(/^table "Orders" must be lower case/),
      expect.stringMatching(/^columns\[0\]\.name "xmin" is the name of a PostgreSQL system column$/),
      expect.stringMatching(/^columns\[0\]\.type "citext" is not a built-in type/),
    ]);
  });
});

describe('tableMigrationSql', () => {
  test('creates the table with _file_id and its index, idempotently', () => {
    const sql = tableMigrationSql(tableConfig('orders', COLUMNS));
    expect(sql).toEqual([
      expect.stringContaining('CREATE TABLE IF NOT EXISTS "public"."orders"'),
      // Guarded, so that an existing index takes no lock on the table (see migration.ts).
      'DO $cdp$ BEGIN IF to_regclass(\'"public"."orders_file_id_idx"\') IS NULL THEN '
        + 'CREATE INDEX IF NOT EXISTS "orders_file_id_idx" ON "public"."orders" ("_file_id"); END IF; END $cdp$',
    ]);
    expect(sql[0]).toContain('"id" integer NOT NULL');
    expect(sql[0]).toContain('"amount" numeric(8,2),');
    expect(sql[0]).toContain('"_file_id" bigint NOT NULL DEFAULT current_setting(\'cdk_data_pipeline.file_id\')::bigint');
  });

  test('creates a non-public schema', () => {
    expect(tableMigrationSql(tableConfig('orders', COLUMNS, { schema: 'sales' }))[0]).toBe('CREATE SCHEMA IF NOT EXISTS "sales"');
  });

  test('validates first', () => {
    expect(() => tableMigrationSql(tableConfig('bad name', COLUMNS))).toThrow('table "bad name" must be a lower-case SQL name');
  });

  test('writes every name double-quoted, so PostgreSQL keeps it as written', () => {
    const [create] = tableMigrationSql(tableConfig('orders', [{ name: 'Order ID', type: 'Numeric ( 12, 2 )', nullable: false }]));
    expect(create).toMatch(/"Order ID" numeric ?\( ?12, ?2 ?\) NOT NULL/i);
  });
});
