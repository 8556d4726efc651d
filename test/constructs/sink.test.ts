import { Match } from 'aws-cdk-lib/assertions';
import { synthPipeline } from './helpers';
import { BadRowPolicy, ColumnType, ExtraColumnPolicy, Sink } from '../../src';
import { ENV } from '../../src/shared/env';

describe('ColumnType', () => {
  test.each([
    [ColumnType.INTEGER, 'integer'],
    [ColumnType.TIMESTAMPTZ, 'timestamptz'],
    [ColumnType.DOUBLE, 'double precision'],
    [ColumnType.numeric(12, 2), 'numeric(12,2)'],
    [ColumnType.numeric(), 'numeric'],
    [ColumnType.varchar(40), 'varchar(40)'],
    [ColumnType.of('text[]'), 'text[]'],
    [ColumnType.of('character varying(10)'), 'character varying(10)'],
  ])('%o renders as %s', (type, sql) => {
    expect(type.sqlType).toBe(sql);
  });

  test.each<[() => unknown, RegExp]>([
    [() => ColumnType.numeric(0), /precision must be a whole number between 1 and 1000 \(got 0\)/],
    [() => ColumnType.numeric(5, 6), /scale must be a whole number between 0 and precision 5 \(got 6\)/],
    [() => ColumnType.varchar(0), /length must be a whole number between 1 and 10485760 \(got 0\)/],
    [() => ColumnType.of('text; drop table x'), /'text; drop table x' is not a PostgreSQL type name/],
  ])('rejects bad types', (build, message) => {
    expect(build).toThrow(message);
  });
});

describe('Sink.postgresTable', () => {
  const columns = [
    { name: 'order_id', type: ColumnType.BIGINT, nullable: false },
    { name: 'amount', type: ColumnType.numeric(12, 2) },
  ];

  test('serialises the declared table into the processor environment', () => {
    const { template } = synthPipeline({
      sinks: [Sink.postgresTable({ table: 'orders', columns, badRows: BadRowPolicy.SKIP_AND_REPORT })],
    });
    const fn = Object.values(template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ [ENV.SINKS]: Match.anyValue() }) } },
    }))[0] as any;
    expect(JSON.parse(fn.Properties.Environment.Variables[ENV.SINKS])).toEqual([{
      kind: 'postgresTable',
      schema: 'public',
      table: 'orders',
      columns: [
        { name: 'order_id', type: 'bigint', nullable: false },
        { name: 'amount', type: 'numeric(12,2)', nullable: true },
      ],
      badRows: 'SKIP_AND_REPORT',
      extraColumns: 'IGNORE',
    }]);
  });

  test.each<[string, any, RegExp]>([
    ['a bad table name', { table: 'orders; drop', columns }, /table 'orders; drop' must be a SQL identifier/],
    ['a reserved table', { table: 'file_metadata', columns }, /table 'file_metadata' is reserved by the pipeline/],
    ['no columns', { table: 'orders', columns: [] }, /columns must declare at least one column/],
    ['a duplicate column', { table: 'orders', columns: [...columns, { name: 'amount', type: ColumnType.TEXT }] }, /columns\[2\]\.name 'amount' is declared twice/],
    ['the pipeline column name', { table: 'orders', columns: [{ name: '_file_id', type: ColumnType.TEXT }] }, /invalid column name "_file_id": reserved for the file id/],
    ['a column name with a quote', { table: 'orders', columns: [{ name: 'a"b', type: ColumnType.TEXT }] }, /invalid column name "a\\"b"/],
    ['a bad schema', { table: 'orders', schema: 'a-b', columns }, /schema 'a-b' must be a SQL identifier/],
  ])('rejects %s', (_n, options, message) => {
    expect(() => Sink.postgresTable(options)).toThrow(message);
  });

  test('header-style column names (spaces, dashes) are accepted', () => {
    const config = JSON.parse(Sink.postgresTable({ table: 't', columns: [{ name: 'Order ID', type: ColumnType.BIGINT }] }).bind(undefined as any).json);
    expect(config.columns[0].name).toBe('Order ID');
  });

  test('extra-column policy is carried through', () => {
    const config = JSON.parse(Sink.postgresTable({ table: 't', columns, extraColumns: ExtraColumnPolicy.REJECT }).bind(undefined as any).json);
    expect(config.extraColumns).toBe('REJECT');
    expect(config.badRows).toBe('FAIL_FILE');
  });
});
