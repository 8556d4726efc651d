/**
 * `parallelism` on the table sink: checked the same way at synth time
 * (`Sink.postgresTable`) and by the runtime, and what it does to the table's DDL.
 */
import { tableMigrationSql, validateTableSinkConfig } from '../../../src/runtime/load';
import { ColumnType } from '../../../src/sink/column-type';
import { Sink } from '../../../src/sink/sink';
import { COLUMNS, tableConfig } from '../load/helpers';

test.each([
  [0], [65], [1.5], [-2], ['2'], [null], [Number.NaN],
])('parallelism %p is refused, naming the field and the range', (value) => {
  const message = `parallelism ${JSON.stringify(value)} must be a whole number from 1 to 64 (connections per file)`;
  expect(() => validateTableSinkConfig(tableConfig('orders', COLUMNS, { parallelism: value as any })))
    .toThrow(`Invalid postgresTable sink configuration: ${message}`);
  expect(() => Sink.postgresTable({ table: 'orders', columns: [{ name: 'id', dataType: ColumnType.INTEGER }], parallelism: value as any }))
    .toThrow(`Sink.postgresTable(): ${message}`);
});

test.each([[undefined], [1], [2], [64]])('parallelism %p is accepted, and reaches the runtime configuration as given', (value) => {
  expect(() => validateTableSinkConfig(tableConfig('orders', COLUMNS, { parallelism: value }))).not.toThrow();
  const sink = Sink.postgresTable({ table: 'orders', columns: [{ name: 'id', dataType: ColumnType.INTEGER }], parallelism: value });
  const json = JSON.parse(sink.bind(undefined as any, undefined as any).json);
  expect(json.parallelism).toBe(value);
});

test('the table is created partitioned by _file_id only when parallelism is above 1', () => {
  const create = (parallelism?: number) => tableMigrationSql(tableConfig('orders', COLUMNS, { parallelism })).find((s) => s.startsWith('CREATE TABLE'))!;
  expect(create(undefined)).toMatch(/\n\)$/);
  expect(create(1)).toMatch(/\n\)$/);
  expect(create(2)).toMatch(/\n\) PARTITION BY LIST \("_file_id"\)$/);
  // Partition pruning finds a file's rows: no _file_id index on a partitioned table.
  expect(tableMigrationSql(tableConfig('orders', COLUMNS, { parallelism: 2 })).filter((s) => s.includes('INDEX'))).toEqual([]);
  expect(tableMigrationSql(tableConfig('orders', COLUMNS)).filter((s) => s.includes('INDEX'))).toHaveLength(1);
});
