/**
 * The sink hook: sinks run inside the transaction that marks the file
 * succeeded, so a later failure undoes what they wrote.
 */
import { closeHelpers, createAws, fileRows, query, readText, TestAws, testRuntime, upload } from './helpers';
import { InputError } from '../../src/runtime/contract/errors';
import { RowSink } from '../../src/runtime/contract/sink-api';
import { createSinks, registerSinkFactory } from '../../src/runtime/core/sinks';
import { handleS3Event } from '../../src/runtime/entry/handle-event';
import { PostgresTableSinkConfig } from '../../src/shared/sink-config';
import { createTestDatabase } from '../support/db';
import { uniqueName } from '../support/moto';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;

/** Stores each file's text in a table, rejects lines containing "bad". */
const textSink: RowSink = {
  async load(client, file, open) {
    let text = '';
    for await (const chunk of await open()) text += chunk;
    const lines = text.trim().split('\n').slice(1);
    if (lines.includes('fail')) throw new InputError('a row says fail on line 3', 3);
    const bad = lines.filter((l) => l.includes('bad'));
    await client!.query('INSERT INTO sink_probe (file_id, body) VALUES ($1, $2)', [file.fileId, text]);
    return {
      rowsLoaded: lines.length - bad.length,
      rowsRejected: bad.length,
      rejectsCsv: bad.length ? `line,reason,raw\n${bad.map((b) => `?,contains bad,${b}`).join('\n')}\n` : undefined,
    };
  },
  async discard(client, fileIds) {
    await client!.query('DELETE FROM sink_probe WHERE file_id = ANY($1::bigint[])', [fileIds]);
  },
};

beforeAll(async () => {
  db = await createTestDatabase('snk');
  aws = await createAws();
  await query(db.url, 'CREATE TABLE sink_probe (file_id bigint, body text)');
  registerSinkFactory('textProbe', () => textSink);
});

afterAll(async () => {
  closeHelpers();
  await db.drop();
});

const sinksEnv = { PIPELINE_SINKS: JSON.stringify([{ kind: 'textProbe' }]) };

test('rows and rejects come from the sinks; rejects are written', async () => {
  const runtime = testRuntime(aws, db.url, sinksEnv);
  try {
    const { event } = await upload(aws.input, 'sinked.csv', 'v\ngood\nbad one\ngood\n');
    const result = await handleS3Event(event, runtime);
    expect(result.files[0]).toMatchObject({ status: 'succeeded', rows: 2, rowsRejected: 1 });
    expect(await readText(aws.output, 'rejects/sinked.csv.csv')).toContain('contains bad,bad one');
    const [row] = (await fileRows(db.url)).filter((r) => r.key === 'sinked.csv');
    expect(row).toMatchObject({ rows_count: '2', rows_rejected: '1' });
    expect(await query(db.url, 'SELECT file_id FROM sink_probe')).toEqual([{ file_id: row.id }]);
  } finally {
    await runtime.close();
  }
});

test('a failure after the sink ran rolls back what it wrote', async () => {
  // A backup bucket that does not exist makes the step after the sink fail.
  const runtime = testRuntime(aws, db.url, { ...sinksEnv, PIPELINE_BACKUP_BUCKET: uniqueName('missing') });
  try {
    const { event } = await upload(aws.input, 'rolled-back.csv', 'v\ngood\n');
    await expect(handleS3Event(event, runtime)).rejects.toThrow(/bucket/i);
    const [row] = (await fileRows(db.url)).filter((r) => r.key === 'rolled-back.csv');
    expect(row).toMatchObject({ status: 'failed', rows_count: null, error_kind: 'internal' });
    expect(await query(db.url, 'SELECT 1 FROM sink_probe WHERE file_id = $1', [row.id])).toEqual([]);
  } finally {
    await runtime.close();
  }
});

test('an InputError from a sink fails the file with its message', async () => {
  const runtime = testRuntime(aws, db.url, sinksEnv);
  try {
    const { event } = await upload(aws.input, 'sink-says-no.csv', 'v\ngood\nfail\n');
    const result = await handleS3Event(event, runtime);
    expect(result.files[0]).toMatchObject({ status: 'failed', retry: false, error: 'a row says fail on line 3' });
    expect((await fileRows(db.url)).find((r) => r.key === 'sink-says-no.csv')).toMatchObject({ status: 'failed', error_kind: 'input' });
  } finally {
    await runtime.close();
  }
});

test('an unknown sink kind is a configuration error naming it', () => {
  expect(() => createSinks([{ kind: 'bigquery' } as never])).toThrow(/kind "bigquery", which this processor build does not support \(available: postgresTable, report, kafka/);
});

test('the built-in postgresTable sink is wired: its table is created on first use and rows land in it', async () => {
  const sink: PostgresTableSinkConfig = {
    kind: 'postgresTable',
    schema: 'public',
    table: 'orders',
    badRows: 'FAIL_FILE',
    extraColumns: 'IGNORE',
    columns: [{ name: 'id', type: 'integer', nullable: false }, { name: 'amount', type: 'numeric(12,2)', nullable: true }],
  };
  expect(await query(db.url, "SELECT to_regclass('public.orders') AS t")).toEqual([{ t: null }]);
  const runtime = testRuntime(aws, db.url, { PIPELINE_SINKS: JSON.stringify([sink]) });
  try {
    const { event } = await upload(aws.input, 'orders.csv', 'id,amount\n1,9.99\n2,\n');
    const result = await handleS3Event(event, runtime);
    expect(result.files[0]).toMatchObject({ status: 'succeeded', rows: 2, rowsRejected: 0 });
    const [row] = (await fileRows(db.url)).filter((r) => r.key === 'orders.csv');
    expect(await query(db.url, 'SELECT id, amount, _file_id FROM orders ORDER BY id')).toEqual([
      { id: 1, amount: '9.99', _file_id: row.id }, { id: 2, amount: null, _file_id: row.id },
    ]);
  } finally {
    await runtime.close();
  }
  // A second cold start finds the table and leaves it (and its rows) alone.
  const again = testRuntime(aws, db.url, { PIPELINE_SINKS: JSON.stringify([sink]) });
  try {
    (await again.database!.connect()).release();
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 2 }]);
  } finally {
    await again.close();
  }
});
