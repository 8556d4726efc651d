/**
 * `process` with a Kafka sink: the --kafka-* flags and Kafka entries of a
 * --config file (parsed, and refused with the flag or JSON path named), and
 * a dry run of a file against the test broker, with a table beside it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { query } from './helpers';
import { bundleKafkaCli, startCli } from './kafka/kafka-cli';
import { broker, createTopic, idsOf, readTopic } from './kafka/kafka-helpers';
import { parseCommand, UsageError } from '../../src/runtime/entry/cli/args';
import { createTestDatabase } from '../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let work: string;
let main: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-clik-'));
  main = await bundleKafkaCli(path.join(work, 'cli.js'));
  db = await createTestDatabase('clik');
});

afterAll(async () => {
  await db.drop();
  fs.rmSync(work, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const f = path.join(work, name);
  fs.writeFileSync(f, content);
  return f;
}

const parse = (...flags: string[]) => parseCommand(['process', 'f.csv', '--database-url', 'postgres://x/y', ...flags], {});
const sinksOf = (...flags: string[]) => {
  const c = parse(...flags);
  if (c.name !== 'process') throw new Error(`not process: ${c.name}`);
  return c.args.sinks as unknown[];
};
const usageError = (...flags: string[]) => {
  try {
    parse(...flags);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('no UsageError');
};

test('--kafka-* flags make a Kafka sink: exactly once and plaintext unless asked otherwise', () => {
  expect(sinksOf('--kafka-brokers', 'localhost:9092, other:9093', '--kafka-topic', 'orders')).toEqual([{
    kind: 'kafka', topic: 'orders', brokers: ['localhost:9092', 'other:9093'], auth: { mechanism: 'plaintext' }, key: { fileAndLine: true }, exactlyOnce: true,
  }]);
  const ca = file('ca.pem', 'PEM');
  expect(sinksOf('--kafka-brokers', 'b:9096', '--kafka-topic', 't', '--kafka-key-column', 'id', '--kafka-at-least-once',
    '--kafka-auth', 'scram-sha-512', '--kafka-secret-arn', 'arn:s', '--kafka-ca-file', ca, '--kafka-checkpoint-every', '500')).toEqual([{
    kind: 'kafka',
    topic: 't',
    brokers: ['b:9096'],
    auth: { mechanism: 'scram-sha-512', secretArn: 'arn:s', caPem: 'PEM' },
    key: { column: 'id' },
    exactlyOnce: false,
    checkpointEvery: 500,
  }]);
  // Beside a table: the table first.
  expect(sinksOf('--table', 'o', '--column', 'id:int', '--kafka-brokers', 'b:1', '--kafka-topic', 't').map((s) => (s as { kind: string }).kind)).toEqual(['postgresTable', 'kafka']);
});

test.each([
  [['--kafka-topic', 't'], '--kafka-topic needs --kafka-brokers host:port[,host:port...] and --kafka-topic'],
  [['--kafka-brokers', 'b:1', '--kafka-at-least-once'], '--kafka-brokers, --kafka-at-least-once need --kafka-brokers host:port[,host:port...] and --kafka-topic'],
  [['--kafka-brokers', 'nohost', '--kafka-topic', 't'], '--kafka-brokers "nohost" must be "host:port"'],
  [['--kafka-brokers', 'b:1', '--kafka-topic', 'bad topic'], '--kafka-topic "bad topic" must be a Kafka topic name (letters, digits, ".", "_", "-")'],
  [['--kafka-brokers', 'b:1', '--kafka-topic', 't', '--kafka-auth', 'kerberos'], '--kafka-auth "kerberos" must be one of plaintext, tls, scram-sha-512, iam, mtls'],
  [['--kafka-brokers', 'b:1', '--kafka-topic', 't', '--kafka-auth', 'mtls'], '--kafka-secret-arn must name the Secrets Manager secret of mtls'],
  [['--kafka-brokers', 'b:1', '--kafka-topic', 't', '--kafka-checkpoint-every', '0'], '--kafka-checkpoint-every 0 must be a whole number of rows, at least 1'],
])('refused: %j', (flags, message) => {
  expect(usageError(...flags)).toBe(message);
});

test('a --config file lists Kafka sinks beside tables; a bad entry is named by its JSON path', () => {
  const kafka = { kind: 'kafka', topic: 'orders', brokers: ['localhost:9092'], auth: { mechanism: 'plaintext' }, key: { column: 'id' } };
  const table = { table: 'orders', columns: [{ name: 'id', type: 'bigint' }] };
  const config = file('both.json', JSON.stringify({ sinks: [table, kafka] }));
  const sinks = sinksOf('--config', config);
  expect(sinks[1]).toEqual(kafka);
  expect((sinks[0] as { kind: string }).kind).toBe('postgresTable');
  const bad = file('bad.json', JSON.stringify({ sinks: [table, { ...kafka, brokers: [], checkpointEvery: 'x', retries: 3 }] }));
  expect(usageError('--config', bad)).toBe(`${bad}: sinks[1]: unknown key retries (a Kafka sink has kind, topic, brokers, auth, key, headers, compression, exactlyOnce, `
    + 'checkpointTopic, transactionalIdPrefix, checkpointGroupId, checkpointEvery, clientId); brokers [] must be a non-empty list of "host:port"; '
    + 'checkpointEvery "x" must be a whole number of rows, at least 1');
  expect(usageError('--config', file('kind.json', JSON.stringify({ kind: 'bigquery' })))).toBe(`${path.join(work, 'kind.json')}: kind "bigquery" is not supported by the CLI (postgresTable, kafka or report)`);
});

test('dry run: a file to a table and a topic, then again (a duplicate: nothing sent twice), then forced (still nothing twice)', async () => {
  const topic = await createTopic('cli');
  const csv = file('orders.csv', 'id,amount\n1,9.50\n2,3.25\n3,\n');
  const args = ['process', csv, '--database-url', db.url, '--ssl', 'disable', '--output-dir', path.join(work, 'out'),
    '--table', 'cli_orders', '--column', 'id:bigint:not-null', '--column', 'amount:numeric(12,2)',
    '--kafka-brokers', broker(), '--kafka-topic', topic, '--kafka-key-column', 'id'];
  const first = await startCli(main, args, work).done;
  expect(first.json).toMatchObject({ status: 'succeeded', rows: 3 });
  expect(first.code).toBe(0);
  expect(await query(db.url, 'SELECT count(*)::int AS n FROM cli_orders')).toEqual([{ n: 3 }]);
  const messages = await readTopic(topic);
  expect(messages.map((m) => [m.key, JSON.parse(m.value)])).toEqual([
    ['1', { id: '1', amount: '9.50' }], ['2', { id: '2', amount: '3.25' }], ['3', { id: '3', amount: null }],
  ]);
  expect(messages[0].headers).toMatchObject({ bucket: 'local', key: 'orders.csv', line: '2' });
  expect((await startCli(main, args, work).done).json).toMatchObject({ status: 'duplicate' });
  const forced = await startCli(main, [...args, '--force'], work).done;
  expect(forced.json).toMatchObject({ status: 'succeeded', rows: 3 });
  expect(idsOf(await readTopic(topic, { minCount: 3 }))).toEqual([1, 2, 3]);
});

test('dry run with an unreachable broker: the file fails with the broker named, exit 1', async () => {
  const csv = file('unreachable.csv', 'id\n1\n');
  const run = await startCli(main, ['process', csv, '--database-url', db.url, '--ssl', 'disable', '--output-dir', path.join(work, 'out'),
    '--kafka-brokers', '127.0.0.1:1', '--kafka-topic', 'nowhere'], work).done;
  expect(run.code).toBe(1);
  expect(run.json).toMatchObject({ status: 'failed' });
  expect(run.json.error).toContain('127.0.0.1:1');
}, 180_000);
