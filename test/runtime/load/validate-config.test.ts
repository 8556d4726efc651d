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
    ['table', { table: 'orders; DROP TABLE x' }, 'invalid table name "orders; DROP TABLE x"'],
    ['table with a quote', { table: 'a"b' }, 'invalid table name "a\\"b"'],
    ['schema', { schema: 'public.x' }, 'invalid schema name "public.x"'],
    ['empty table', { table: '' }, 'invalid table name ""'],
    ['long table', { table: 'x'.repeat(64) }, 'longer than 63 bytes'],
    ['badRows', { badRows: 'IGNORE' as any }, 'invalid badRows "IGNORE"'],
    ['extraColumns', { extraColumns: 'DROP' as any }, 'invalid extraColumns "DROP"'],
    ['no columns', { columns: [] }, 'at least one column'],
  ])('rejects a bad %s', (_what, over, message) => {
    const config = tableConfig('orders', COLUMNS, over as any);
    expect(() => validateTableSinkConfig(config)).toThrow(message);
  });

  test.each([
    [{ name: 'a"; DROP TABLE t; --', type: 'text', nullable: true }, 'invalid column name "a\\"; DROP TABLE t; --"'],
    [{ name: 'x', type: 'text); DROP TABLE t; --', nullable: true }, 'invalid type "text); DROP TABLE t; --" for column "x"'],
    [{ name: 'x', type: "text DEFAULT 'a'", nullable: true }, 'invalid type "text DEFAULT \'a\'" for column "x"'],
    [{ name: 'x', type: 'text DEFAULT now', nullable: true }, 'invalid type "text DEFAULT now" for column "x"'],
    [{ name: 'x', type: 'int REFERENCES other', nullable: true }, 'invalid type "int REFERENCES other"'],
    [{ name: '_file_id', type: 'bigint', nullable: false }, 'reserved'],
    [{ name: 'x', type: 'int', nullable: 'yes' as any }, 'invalid nullable "yes"'],
  ])('rejects column %j', (column, message) => {
    expect(() => validateTableSinkConfig(tableConfig('orders', [column]))).toThrow(message);
  });

  test('rejects duplicate column names', () => {
    expect(() => validateTableSinkConfig(tableConfig('orders', [COLUMNS[0], COLUMNS[0]]))).toThrow('duplicate column name "id"');
  });
});

describe('tableMigrationSql', () => {
  test('creates the table with _file_id and its index, idempotently', () => {
    const sql = tableMigrationSql(tableConfig('orders', COLUMNS));
    expect(sql).toEqual([
      expect.stringContaining('CREATE TABLE IF NOT EXISTS "public"."orders"'),
      'CREATE INDEX IF NOT EXISTS "orders_file_id_idx" ON "public"."orders" ("_file_id")',
    ]);
    expect(sql[0]).toContain('"id" integer NOT NULL');
    expect(sql[0]).toContain('"amount" numeric(8,2),');
    expect(sql[0]).toContain('"_file_id" bigint NOT NULL DEFAULT current_setting(\'cdk_data_pipeline.file_id\')::bigint');
  });

  test('creates a non-public schema', () => {
    expect(tableMigrationSql(tableConfig('orders', COLUMNS, { schema: 'sales' }))[0]).toBe('CREATE SCHEMA IF NOT EXISTS "sales"');
  });

  test('validates first', () => {
    expect(() => tableMigrationSql(tableConfig('bad name', COLUMNS))).toThrow('invalid table name "bad name"');
  });
});
