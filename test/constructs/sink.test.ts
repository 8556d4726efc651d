import { Stack } from 'aws-cdk-lib';
import { BadRowPolicy, ColumnType, ExtraColumnPolicy, PreviousVersions, Sink } from '../../src';
import { validateTableSinkConfig } from '../../src/runtime/load/validate-config';

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
    [ColumnType.of('Timestamp (3) With Time Zone'), 'timestamp(3) with time zone'],
    [ColumnType.of(' numeric( 12 , 2 )[] '), 'numeric(12,2)[]'],
  ])('%o renders as %s', (type, sql) => {
    expect(type.sqlType).toBe(sql);
  });

  test.each<[() => unknown, RegExp]>([
    [() => ColumnType.numeric(0), /precision must be a whole number between 1 and 1000 \(got 0\)/],
    [() => ColumnType.numeric(5, 6), /scale must be a whole number between 0 and precision 5 \(got 6\)/],
    [() => ColumnType.varchar(0), /length must be a whole number between 1 and 10485760 \(got 0\)/],
    [() => ColumnType.of('text; drop table x'), /^ColumnType\.of\(\): type "text; drop table x" is not a type name/],
    [() => ColumnType.of('public.citext'), /^ColumnType\.of\(\): type "public\.citext" is schema-qualified: only built-in PostgreSQL types are accepted/],
    [() => ColumnType.of('timestamp(7)'), /^ColumnType\.of\(\): type "timestamp\(7\)" has precision 7; it must be between 0 and 6$/],
  ])('rejects bad types: %#', (build, message) => {
    expect(build).toThrow(message);
  });
});

describe('Sink.postgresTable', () => {
  const columns = [
    { name: 'order_id', dataType: ColumnType.BIGINT, nullable: false },
    { name: 'amount', dataType: ColumnType.numeric(12, 2) },
  ];

  // How the configuration reaches the processor (a layer file) is covered by sink-config.test.ts.
  test('binds to the runtime configuration of the declared table', () => {
    const sink = Sink.postgresTable({ table: 'orders', columns, badRows: BadRowPolicy.SKIP_AND_REPORT });
    const bound = sink.bind(new Stack(), undefined as any);
    expect(bound.kind).toBe('postgresTable');
    expect(JSON.parse(bound.json)).toEqual({
      kind: 'postgresTable',
      schema: 'public',
      table: 'orders',
      columns: [
        { name: 'order_id', type: 'bigint', nullable: false },
        { name: 'amount', type: 'numeric(12,2)', nullable: true },
      ],
      badRows: 'SKIP_AND_REPORT',
      extraColumns: 'IGNORE',
      previousVersions: 'REPLACE',
    });
  });

  test.each<[string, any, RegExp]>([
    ['a bad table name', { table: 'orders; drop', columns }, /^Sink\.postgresTable\(\): table "orders; drop" must be a lower-case SQL name/],
    ['an upper-case table name', { table: 'Orders', columns }, /^Sink\.postgresTable\(\): table "Orders" must be lower case: use "orders"/],
    ['a reserved word', { table: 'user', columns }, /^Sink\.postgresTable\(\): table "user" is a reserved word in PostgreSQL/],
    ['a reserved table', { table: 'file_metadata', columns }, /^Sink\.postgresTable\(\): table "file_metadata" is reserved by the pipeline/],
    ['a table name too long for the index name', { table: 'x'.repeat(52), columns }, /table "x{52}" is 52 bytes long; table names are at most 51 bytes/],
    ['no columns', { table: 'orders', columns: [] }, /^Sink\.postgresTable\(\): columns \[\] must declare at least one column$/],
    ['a duplicate column', { table: 'orders', columns: [...columns, { name: 'amount', dataType: ColumnType.TEXT }] }, /^Sink\.postgresTable\(\): columns\[2\]\.name "amount" is declared twice \(also columns\[1\]\.name;/],
    ['the pipeline column name', { table: 'orders', columns: [{ name: '_file_id', dataType: ColumnType.TEXT }] }, /^Sink\.postgresTable\(\): columns\[0\]\.name "_file_id" is reserved: the loader adds a _file_id column/],
    ['a system column name', { table: 'orders', columns: [...columns, { name: 'ctid', dataType: ColumnType.TEXT }] }, /^Sink\.postgresTable\(\): columns\[2\]\.name "ctid" is the name of a PostgreSQL system column$/],
    ['a column name with a quote', { table: 'orders', columns: [{ name: 'a"b', dataType: ColumnType.TEXT }] }, /^Sink\.postgresTable\(\): columns\[0\]\.name "a\\"b" contains a double quote/],
    ['a column name over 63 bytes', { table: 'orders', columns: [{ name: 'é'.repeat(32), dataType: ColumnType.TEXT }] }, /columns\[0\]\.name "é{32}" is 64 bytes long in UTF-8; PostgreSQL names are at most 63 bytes/],
    ['a forged column type', { table: 'orders', columns: [{ name: 'a', dataType: { sqlType: 'text; drop table x' } }] }, /^Sink\.postgresTable\(\): columns\[0\]\.dataType "text; drop table x" is not a type name/],
    ['a bad schema', { table: 'orders', schema: 'a-b', columns }, /^Sink\.postgresTable\(\): schema "a-b" must be a lower-case SQL name/],
    ['a system schema', { table: 'orders', schema: 'pg_data', columns }, /^Sink\.postgresTable\(\): schema "pg_data" is reserved for PostgreSQL's system schemas$/],
  ])('rejects %s', (_n, options, message) => {
    expect(() => Sink.postgresTable(options)).toThrow(message);
  });

  test('header-style column names (case, spaces, dashes, non-ASCII) are kept exactly as written', () => {
    const names = ['Order ID', 'Amount', 'amount', 'unit-price', 'Größe (€)'];
    const config = JSON.parse(Sink.postgresTable({ table: 't', columns: names.map((name) => ({ name, dataType: ColumnType.BIGINT })) }).bind(undefined as any, undefined as any).json);
    expect(config.columns.map((c: any) => c.name)).toEqual(names);
  });

  test('the configuration carries the normalised type', () => {
    const config = JSON.parse(Sink.postgresTable({ table: 't', columns: [{ name: 'at', dataType: ColumnType.of('TIMESTAMP(3) WITH TIME ZONE') }] }).bind(undefined as any, undefined as any).json);
    expect(config.columns[0].type).toBe('timestamp(3) with time zone');
  });

  test('extra-column policy is carried through', () => {
    const config = JSON.parse(Sink.postgresTable({ table: 't', columns, extraColumns: ExtraColumnPolicy.REJECT }).bind(undefined as any, undefined as any).json);
    expect(config.extraColumns).toBe('REJECT');
    expect(config.badRows).toBe('FAIL_FILE');
  });
});

describe('previousVersions', () => {
  const columns = [{ name: 'id', dataType: ColumnType.INTEGER }];
  const json = (sink: Sink) => JSON.parse(sink.bind(new Stack(), undefined as any).json);

  test('defaults to REPLACE: a corrected re-upload replaces the earlier rows', () => {
    expect(json(Sink.postgresTable({ table: 'orders', columns }))).toMatchObject({ previousVersions: 'REPLACE' });
    expect(json(Sink.postgresTable({ table: 'orders', columns, previousVersions: PreviousVersions.APPEND }))).toMatchObject({ previousVersions: 'APPEND' });
  });

  test('any other value is refused by the construct and the runtime alike, naming the option', () => {
    expect(() => Sink.postgresTable({ table: 'orders', columns, previousVersions: 'KEEP' as PreviousVersions }))
      .toThrow('Sink.postgresTable(): previousVersions "KEEP" must be REPLACE or APPEND');
    const config = { ...json(Sink.postgresTable({ table: 'orders', columns })), previousVersions: 'KEEP' };
    expect(() => validateTableSinkConfig(config)).toThrow(/previousVersions "KEEP" must be REPLACE or APPEND/);
  });
});
