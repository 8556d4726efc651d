/**
 * One verdict per table name, schema name, column name and column type,
 * whichever door the configuration comes through: `Sink.postgresTable()`
 * (with `ColumnType.of()`), the loader's `validateTableSinkConfig()` (what
 * PIPELINE_SINKS goes through), and the CLI's `--table/--column` options and
 * `--config` file. Every refusal names where the value was and the value.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ColumnType, Sink } from '../src';
import { sinksFromFlags } from '../src/runtime/entry/cli/sink-options';
import { validateTableSinkConfig } from '../src/runtime/load';
import type { PostgresTableSinkConfig } from '../src/shared/sink-config';

type What = 'table' | 'schema' | 'column' | 'type';
interface Case { readonly what: What; readonly value: string; readonly accepted: boolean }

const accept = (what: What, ...values: string[]): Case[] => values.map((value) => ({ what, value, accepted: true }));
const refuse = (what: What, ...values: string[]): Case[] => values.map((value) => ({ what, value, accepted: false }));

export const CASES: readonly Case[] = [
  ...accept('table', 'orders', 'order_lines_2024', '_staging', 'between', 'x'.repeat(51)),
  ...refuse('table',
    'Orders', 'ORDERS', '$', 'a$b', 'orders$', 'order', 'user', 'select', 'x'.repeat(52), 'x'.repeat(64),
    'file_metadata', 'file_metadata_status_idx', 'schema_migrations', 'orders_file_id_idx', '1st', '',
    'orders; drop', 'sales.orders', 'a-b', 'a b', 'ordérs', 'a"b'),
  ...accept('schema', 'public', 'sales', 'x'.repeat(63)),
  ...refuse('schema', 'Sales', '$', 'a$', 'pg_temp', 'information_schema', 'select', 'x'.repeat(64), 'a-b', ''),
  ...accept('column',
    'id', 'Order ID', 'Amount', 'amount.total', 'unit-price', '$', 'price $', 'Größe (€)', "O'Brien",
    'XMIN', '_File_Id', '2024', 'a,b', 'x'.repeat(63), 'é'.repeat(31)),
  ...refuse('column',
    '_file_id', 'xmin', 'ctid', 'tableoid', 'a"b', 'a:b', ' id', 'id ', 'a\tb', 'a\nb', '',
    'x'.repeat(64), 'é'.repeat(32), 'a\u200bb', 'a\u00a0b'),
  ...accept('type',
    'integer', 'INTEGER', 'int4', 'bigint', 'numeric', 'numeric(12,2)', 'Numeric ( 12, 2 )', 'decimal(5)',
    'varchar(20)', 'character varying ( 40 )', 'char(3)', 'text', 'text[]', 'numeric(12,2)[]',
    'double precision', 'Double Precision', 'float(24)', 'timestamp', 'timestamp(3)',
    'timestamp(3) with time zone', 'TIMESTAMP WITHOUT TIME ZONE', 'timestamptz', 'timestamptz(3)',
    'time with time zone', 'interval(6)', 'uuid', 'jsonb', 'bytea', 'inet'),
  ...refuse('type',
    'public.citext', 'citext', 'pg_catalog.int4', 'serial', 'xml', 'money', 'int[3]', 'text[][]',
    'numeric(0)', 'numeric(5,6)', 'numeric(1001)', 'varchar(0)', 'varchar(10485761)', 'varchar(1,2)',
    'timestamp(7)', 'float(54)', 'integer(3)', 'timestamptz with time zone', 'time stamp',
    'text; drop table x', "text DEFAULT 'a'", 'text DEFAULT now', 'int REFERENCES other', 'int NOT NULL',
    'text)', '$', '', 'int\tarray', 'text /* */'),
];

/** The configuration of a case: one value under test, everything else plain. */
function configOf(c: Case): { table: string; schema: string; name: string; type: string } {
  return {
    table: c.what === 'table' ? c.value : 'orders',
    schema: c.what === 'schema' ? c.value : 'public',
    name: c.what === 'column' ? c.value : 'amount',
    type: c.what === 'type' ? c.value : 'integer',
  };
}

/** The path and option each door should name in its error. */
function pathOf(c: Case): string {
  return { table: 'table', schema: 'schema', column: 'columns[0].name', type: 'columns[0].type' }[c.what];
}

/** The error a function throws, or undefined when it accepts. */
function errorOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-rules-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The error each door gives for the case (undefined: accepted). */
function doors(c: Case): Record<string, string | undefined> {
  const { table, schema, name, type } = configOf(c);
  const runtimeConfig: PostgresTableSinkConfig = {
    kind: 'postgresTable', schema, table, columns: [{ name, type, nullable: true }], badRows: 'FAIL_FILE', extraColumns: 'IGNORE',
  };
  const file = path.join(work, 'sink.json');
  fs.writeFileSync(file, JSON.stringify({ schema, table, columns: [{ name, type }] }));
  const result: Record<string, string | undefined> = {
    'Sink.postgresTable': errorOf(() => Sink.postgresTable({ table, schema, columns: [{ name, dataType: ColumnType.of(type) }] })),
    'validateTableSinkConfig': errorOf(() => validateTableSinkConfig(runtimeConfig)),
    'CLI --table/--column': errorOf(() => sinksFromFlags({ table, schema, columns: [`${name}:${type}`] })),
    'CLI --config': errorOf(() => sinksFromFlags({ config: file })),
  };
  if (c.what === 'type') result['ColumnType.of'] = errorOf(() => ColumnType.of(type));
  return result;
}

describe.each(CASES.map((c) => [c.what, JSON.stringify(c.value), c.accepted ? 'accepted' : 'refused', c] as const))(
  '%s %s', (_what, _value, verdict, c) => {
    test(`is ${verdict} by every entry point`, () => {
      const errors = doors(c);
      const verdicts = Object.fromEntries(Object.entries(errors).map(([door, error]) => [door, error === undefined ? 'accepted' : `refused: ${error}`]));
      const expected = Object.fromEntries(Object.keys(errors).map((door) => [door, c.accepted ? 'accepted' : expect.stringMatching(/^refused: /)]));
      expect(verdicts).toEqual(expected);
    });

    if (!c.accepted) {
      test('each refusal names where the value was, and the value', () => {
        const errors = doors(c);
        const value = JSON.stringify(c.value);
        const { name, type } = configOf(c);
        // A column value that the CLI splits differently (a name with ':') is
        // reported against the whole --column flag, which still contains it.
        const flag = JSON.stringify(`${name}:${type}`);
        const option = c.what === 'table' || c.what === 'schema' ? `--${c.what} ${value}` : `--column ${flag}`;
        if (c.what === 'type') {
          expect(errors['ColumnType.of']).toContain(`ColumnType.of(): type ${value} `);
          expect(errors['Sink.postgresTable']).toContain(`ColumnType.of(): type ${value} `);
        } else {
          expect(errors['Sink.postgresTable']).toContain(`Sink.postgresTable(): ${pathOf(c)} ${value} `);
        }
        expect(errors.validateTableSinkConfig).toContain(`Invalid postgresTable sink configuration: ${pathOf(c)} ${value} `);
        expect(errors['CLI --table/--column']).toContain(option);
        expect(errors['CLI --config']).toContain(`sink.json: ${pathOf(c)} ${value} `);
      });
    }
  },
);

test('the reasons agree too: one message text for one value, whatever the door', () => {
  const reasons = (c: Case) => {
    const value = JSON.stringify(c.value);
    return Object.entries(doors(c)).map(([door, error]) => [door, error?.slice(error.indexOf(`${value} `) + value.length + 1).split('; ')[0]]);
  };
  const disagreeing = CASES.filter((c) => !c.accepted && c.what !== 'column')
    .map((c) => [c.value, new Set(reasons(c).map(([, r]) => r))] as const)
    .filter(([, set]) => set.size !== 1);
  expect(disagreeing).toEqual([]);
});

test('the case list covers every kind of value, accepted and refused', () => {
  for (const what of ['table', 'schema', 'column', 'type'] as const) {
    expect(CASES.filter((c) => c.what === what && c.accepted).length).toBeGreaterThan(2);
    expect(CASES.filter((c) => c.what === what && !c.accepted).length).toBeGreaterThan(5);
  }
});

test('ColumnType.of() stores the type normalised, as the runtime would write it', () => {
  expect(ColumnType.of('Numeric ( 12, 02 )').sqlType).toBe('numeric(12,2)');
  expect(ColumnType.of('TIMESTAMP(3)WITH TIME  ZONE').sqlType).toBe('timestamp(3) with time zone');
  expect(ColumnType.of(' text [] ').sqlType).toBe('text[]');
});

test('errors list every problem, each with its path', () => {
  const message = errorOf(() => validateTableSinkConfig({
    kind: 'postgresTable',
    schema: 'Sales',
    table: 'Orders',
    badRows: 'SKIP' as any,
    extraColumns: 'IGNORE',
    columns: [{ name: 'id', type: 'integer', nullable: true }, { name: 'id', type: 'public.citext', nullable: 'no' as any }],
  }));
  expect(message).toMatch(/^Invalid postgresTable sink configuration: schema "Sales" must be lower case: use "sales" .*; table "Orders" must be lower case: use "orders" .*; badRows "SKIP" must be FAIL_FILE or SKIP_AND_REPORT; columns\[1\]\.name "id" is declared twice \(also columns\[0\]\.name; .*; columns\[1\]\.type "public\.citext" is schema-qualified: .*; columns\[1\]\.nullable "no" must be true or false$/);
});
