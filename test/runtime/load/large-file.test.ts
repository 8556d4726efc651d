import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'csv-parse';
import { openTestDb, TestDb } from './helpers';
import { BENCH_TABLE_CONFIG, generateCsv, GeneratedCsv } from '../../../bench/csv-generator';

/**
 * 400,000 generated rows, 60 MB (quoted commas, embedded quotes, quoted
 * newlines, NULLs; records cut by about 900 ends of the loader's 64 KB
 * chunks) through both load paths (the bench loads 1M and 5M); the table's
 * contents are compared with the file as an independent CSV parser reads it.
 */
const ROWS = 400_000;

interface Checksum {
  rows: number;
  sumId: string;
  sumQty: string;
  sumPriceCents: string;
  sumCreatedMs: string;
  activeTrue: number;
  shipDayNulls: number;
  customers: string;
  notes: string;
}

const TRUE = new Set(['true', 't']);

async function fileChecksum(file: string): Promise<Checksum> {
  const customers = createHash('md5');
  const notes = createHash('md5');
  let rows = 0;
  let sumId = 0n;
  let sumQty = 0n;
  let sumPrice = 0n;
  let sumCreated = 0n;
  let activeTrue = 0;
  let shipDayNulls = 0;
  const parser = fs.createReadStream(file).pipe(parse({ columns: true }));
  for await (const r of parser as AsyncIterable<Record<string, string>>) {
    rows++;
    sumId += BigInt(r.id);
    sumQty += BigInt(r.qty);
    sumPrice += BigInt(r.price.replace('.', ''));
    sumCreated += BigInt(Date.parse(r.created_at.replace(' ', 'T').replace('+00', 'Z')));
    if (TRUE.has(r.active)) activeTrue++;
    if (r.ship_day === '') shipDayNulls++;
    customers.update(`${r.customer}\n`);
    notes.update(`${r.note === '' ? '<null>' : r.note}\n`);
  }
  return {
    rows,
    sumId: String(sumId),
    sumQty: String(sumQty),
    sumPriceCents: String(sumPrice),
    sumCreatedMs: String(sumCreated),
    activeTrue,
    shipDayNulls,
    customers: customers.digest('hex'),
    notes: notes.digest('hex'),
  };
}

async function tableChecksum(db: TestDb): Promise<Checksum> {
  const r = (await db.client.query(`
    SELECT count(*)::int AS rows, sum(id)::text AS "sumId", sum(qty)::text AS "sumQty",
           sum((price * 100)::bigint)::text AS "sumPriceCents",
           sum((extract(epoch FROM created_at) * 1000)::bigint)::text AS "sumCreatedMs",
           count(*) FILTER (WHERE active)::int AS "activeTrue", count(*) FILTER (WHERE ship_day IS NULL)::int AS "shipDayNulls",
           md5(string_agg(customer || E'\\n', '' ORDER BY id)) AS customers,
           md5(string_agg(coalesce(note, '<null>') || E'\\n', '' ORDER BY id)) AS notes
    FROM bench_orders`)).rows[0];
  return r as Checksum;
}

let db: TestDb;
let dir: string;
let clean: GeneratedCsv;
let expected: Checksum;

beforeAll(async () => {
  db = await openTestDb();
  await db.createTable(BENCH_TABLE_CONFIG);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-large-'));
  clean = await generateCsv(path.join(dir, 'clean.csv'), ROWS);
  expected = await fileChecksum(clean.path);
  expect(expected.rows).toBe(ROWS);
}, 300_000);

afterAll(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => db.client.query('TRUNCATE bench_orders'));

test.each(['FAIL_FILE', 'SKIP_AND_REPORT'] as const)('400k rows with %s: row count and content checksum equal the file\'s', async (badRows) => {
  const outcome = await db.load({ ...BENCH_TABLE_CONFIG, badRows }, async () => fs.createReadStream(clean.path), 11);
  expect(outcome).toMatchObject({ rowsLoaded: ROWS, rowsRejected: 0 });
  expect(await tableChecksum(db)).toEqual(expected);
}, 300_000);

test('400k rows with 1% bad rows under SKIP_AND_REPORT: every good row loads, every bad one is reported', async () => {
  const bad = await generateCsv(path.join(dir, 'bad.csv'), ROWS, 100);
  const outcome = await db.load({ ...BENCH_TABLE_CONFIG, badRows: 'SKIP_AND_REPORT' }, async () => fs.createReadStream(bad.path), 12);
  expect(bad.badRows).toBe(ROWS / 100);
  expect(outcome).toMatchObject({ rowsLoaded: ROWS - bad.badRows, rowsRejected: bad.badRows });
  const reported = outcome.rejectsCsv!.trim().split('\n').slice(1);
  expect(reported).toHaveLength(bad.badRows);
  // The generator breaks row i when i % 100 === 50; the table holds every other id.
  const missing = (await db.client.query(`
    SELECT count(*) FILTER (WHERE (g % 100 = 50) = (o.id IS NOT NULL))::int AS n
    FROM generate_series(1, ${ROWS}) g LEFT JOIN bench_orders o ON o.id = g`)).rows[0].n;
  expect(missing).toBe(0);
}, 300_000);
