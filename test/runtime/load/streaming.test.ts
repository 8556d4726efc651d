import { chunked, errorOf, openTestDb, tableConfig, TestDb } from './helpers';
import { InputError } from '../../../src/runtime/contract/errors';

/**
 * Errors that arrive while a batch is being streamed into COPY: after
 * hundreds of kilobytes of good rows, so a COPY is already open.
 */
const config = tableConfig('events', [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'qty', type: 'integer', nullable: false },
  { name: 'label', type: 'text', nullable: true },
]);

function rows(n: number, bad: (i: number) => string | undefined): string {
  const out = ['id,qty,label,unused'];
  for (let i = 1; i <= n; i++) out.push(bad(i) ?? `${i},${i % 1000},"label, number ${i}",x`);
  return `${out.join('\n')}\n`;
}

let db: TestDb;
beforeAll(async () => {
  db = await openTestDb();
  await db.createTable(config);
  // A rule the JavaScript checks know nothing about: only PostgreSQL can refuse these rows.
  await db.client.query('ALTER TABLE events ADD CONSTRAINT qty_small CHECK (qty < 5000)');
});
afterAll(() => db.close());
beforeEach(() => db.client.query('TRUNCATE events'));

test('FAIL_FILE on the checked path: a bad row deep in the file aborts the open COPY and loads nothing', async () => {
  const csv = rows(60_000, (i) => (i === 50_000 ? '50000,many,x,x' : undefined));
  const err = await errorOf(db.load(config, chunked(csv, 65536)));
  expect(err).toBeInstanceOf(InputError);
  expect(err.message).toBe('line 50001, column "qty": invalid input syntax for type integer: "many"');
  expect(await db.rows('events')).toEqual([]);
});

test('FAIL_FILE: a row PostgreSQL refuses deep in the file is reported with its line', async () => {
  const csv = rows(60_000, (i) => (i === 45_000 ? '45000,9999,x,x' : undefined));
  const err = await errorOf(db.load(config, chunked(csv, 65536)));
  expect(err).toBeInstanceOf(InputError);
  expect(err.line).toBe(45_001);
  expect(err.message).toContain('line 45001: new row for relation "events" violates check constraint "qty_small"');
});

test('SKIP_AND_REPORT: rows PostgreSQL refuses inside a large streamed batch are rolled back, reported and the rest re-sent', async () => {
  const badIds = new Set([3, 20_000, 20_001, 59_999]);
  const csv = rows(60_000, (i) => (badIds.has(i) ? `${i},7777,x,x` : undefined));
  const outcome = await db.load({ ...config, badRows: 'SKIP_AND_REPORT' }, chunked(csv, 65536));
  expect(outcome).toMatchObject({ rowsLoaded: 60_000 - badIds.size, rowsRejected: badIds.size });
  const lines = outcome.rejectsCsv!.trim().split('\n').slice(1);
  expect(lines.map((l) => Number(l.split(',')[0]))).toEqual([...badIds].map((i) => i + 1));
  expect(lines[0]).toContain('violates check constraint ""qty_small""');
  const r = (await db.client.query('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, sum(id)::bigint AS s FROM events')).rows[0];
  const expectedSum = (60_000 * 60_001) / 2 - [...badIds].reduce((a, b) => a + b, 0);
  expect(r).toEqual({ n: 60_000 - badIds.size, d: 60_000 - badIds.size, s: String(expectedSum) });
});
