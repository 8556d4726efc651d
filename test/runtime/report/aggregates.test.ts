/**
 * The report sink over the benchmark's generated CSV (quoted commas and
 * quotes, quoted newlines, NULLs, UTF-8) against the reference computation
 * in ./helpers.ts, in one pass and in checkpointed chunks.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { byGroup, expectGroups, loadChunked, loadWhole, parseCsv, referenceGroups, report } from './helpers';
import { generateCsv } from '../../../bench/csv-generator';
import { HLL_STANDARD_ERROR, ReportSummary, withoutSketches } from '../../../src/runtime/report';

const ROWS = 20_000;
let dir: string;
let csv: string;
let records: ReturnType<typeof parseCsv>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-agg-'));
  const generated = await generateCsv(path.join(dir, 'orders.csv'), ROWS);
  csv = fs.readFileSync(generated.path, 'utf8');
  records = parseCsv(csv);
  expect(records).toHaveLength(ROWS + 1);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Small groups (about 5 rows each): every measure is exact, distinct counts of up to SPARSE_LIMIT values included. */
const FINE = report({
  groupBy: ['active', 'ship_day'],
  measures: [
    { kind: 'count' },
    { kind: 'sum', column: 'qty' },
    { kind: 'sum', column: 'price' },
    { kind: 'min', column: 'price' },
    { kind: 'max', column: 'price' },
    { kind: 'min', column: 'qty' },
    { kind: 'max', column: 'qty', name: 'most' },
    { kind: 'distinctCount', column: 'customer' },
  ],
});

/** Four large groups: distinct counts in the thousands, estimated. */
const COARSE = report({
  groupBy: ['active'],
  measures: [{ kind: 'count' }, { kind: 'sum', column: 'price' }, { kind: 'distinctCount', column: 'customer' }, { kind: 'distinctCount', column: 'note' }],
});

test('grouped by (active, ship_day): every group and measure equals the reference computation', async () => {
  const out = await loadWhole(FINE, csv, 4096);
  expect(out).toMatchObject({ rowsLoaded: ROWS, rowsRejected: 0, rejectsCsv: undefined });
  const summary = out.summary as ReportSummary;
  const expected = referenceGroups(records, FINE);
  // About 4 x 1000 days plus the empty (NULL) day: a real many-group case.
  expect(expected.length).toBeGreaterThan(3500);
  expect(expected.some((g) => g.group.ship_day === null)).toBe(true);
  // Exact while a group has at most SPARSE_LIMIT distinct customers; the NULL-day groups have more, estimated.
  const estimated = expectGroups(withoutSketches(summary).groups, expected, ['distinct_customer']);
  expect(estimated).toBeGreaterThan(0);
  expect(estimated).toBeLessThan(10);
  expect(summary).toMatchObject({ format: 'report/1', groupBy: ['active', 'ship_day'], rows: ROWS, maxGroups: 10_000 });
  expect(summary.measures.map((m) => m.name)).toEqual(['count', 'sum_qty', 'sum_price', 'min_price', 'max_price', 'min_qty', 'most', 'distinct_customer']);
  expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
});

test('grouped by active: exact counts and sums, distinct-count estimates within 4 standard errors', async () => {
  const summary = (await loadWhole(COARSE, csv)).summary as ReportSummary;
  const expected = byGroup(referenceGroups(records, COARSE));
  const actual = byGroup(summary.groups);
  expect(actual.map((g) => g.group)).toEqual(expected.map((g) => g.group));
  actual.forEach((g, i) => {
    const want = expected[i].measures;
    expect({ count: g.measures.count, sum_price: g.measures.sum_price }).toEqual({ count: want.count, sum_price: want.sum_price });
    for (const name of ['distinct_customer', 'distinct_note']) {
      const exact = want[name] as number;
      expect(exact).toBeGreaterThan(300); // past the exact (sparse) range: the estimate is tested
      expect(Math.abs((g.measures[name] as number) - exact) / exact).toBeLessThan(4 * HLL_STANDARD_ERROR);
    }
    expect(g.sketches?.distinct_customer).toMatch(/^d[A-Za-z0-9+/]+=*$/);
  });
});

test.each([
  ['1000-row chunks', 1000],
  ['997-row chunks (boundaries fall anywhere, quoted newlines included)', 997],
  ['one chunk', ROWS * 2],
])('checkpointed in %s: the combined summary is exactly the one-pass summary', async (_name, rows) => {
  for (const config of [FINE, COARSE]) {
    const whole = await loadWhole(config, csv);
    const chunked = await loadChunked(config, csv, rows);
    expect(chunked.chunks).toBe(Math.ceil(ROWS / rows));
    expect({ rowsLoaded: chunked.rowsLoaded, rowsRejected: chunked.rowsRejected }).toEqual({ rowsLoaded: ROWS, rowsRejected: 0 });
    expect(chunked.summary).toEqual(whole.summary);
  }
});

test('no group-by: one group for the whole file; an all-NULL column sums to null', async () => {
  const out = await loadWhole(report({ measures: [{ kind: 'count' }, { kind: 'sum', column: 'x' }, { kind: 'max', column: 'y' }, { kind: 'distinctCount', column: 'x' }] }),
    'x,y\n,1.5\n,-2\n,1.50\n');
  expect(withoutSketches(out.summary as ReportSummary).groups).toEqual([{ group: {}, measures: { count: 3, sum_x: null, max_y: '1.5', distinct_x: 0 } }]);
});

test('sums are exact decimals at the largest scale of their terms (no float drift), min and max exact too', async () => {
  const rows = Array.from({ length: 1000 }, () => '0.1').join('\n');
  const out = await loadWhole(report({ measures: [{ kind: 'sum', column: 'v' }] }), `v\n${rows}\n0.20\n`);
  expect(withoutSketches(out.summary as ReportSummary).groups[0].measures).toEqual({ sum_v: '100.20' });
  const big = await loadWhole(report({ measures: [{ kind: 'sum', column: 'v' }, { kind: 'min', column: 'v' }, { kind: 'max', column: 'v' }] }),
    'v\n9007199254740993\n9007199254740993.000000000000000001\n" 1e3 "\n-1.5E-3\n+.5\n');
  expect(withoutSketches(big.summary as ReportSummary).groups[0].measures).toEqual({
    sum_v: '18014398509482986.498500000000000001', min_v: '-0.0015', max_v: '9007199254740993.000000000000000001',
  });
});

test('group values are the unquoted text; empty unquoted is null, quoted "" is the empty string', async () => {
  const out = await loadWhole(report({ groupBy: ['g'], measures: [{ kind: 'count' }] }), 'g,v\n"a,""b"",c",1\n,2\n"",3\n"a,""b"",c",4\nÜ,5\n');
  expect(byGroup(withoutSketches(out.summary as ReportSummary).groups)).toEqual(byGroup([
    { group: { g: 'a,"b",c' }, measures: { count: 2 } },
    { group: { g: null }, measures: { count: 1 } },
    { group: { g: '' }, measures: { count: 1 } },
    { group: { g: 'Ü' }, measures: { count: 1 } },
  ]));
});

test('CRLF line ends, a byte order mark and one-byte stream pieces give the same report as the plain file', async () => {
  const config = report({ groupBy: ['g'], measures: [{ kind: 'count' }, { kind: 'sum', column: 'v' }, { kind: 'distinctCount', column: 'v' }] });
  const plain = 'g,v\na,1\n"b\nc",2.5\na,3\n';
  // The quoted line break is a value: it stays as it is.
  const windows = '\uFEFFg,v\r\na,1\r\n"b\nc",2.5\r\na,3\r\n';
  const expected = (await loadWhole(config, plain)).summary;
  expect((await loadWhole(config, windows, 1)).summary).toEqual(expected);
  expect(withoutSketches(expected as ReportSummary).groups).toEqual([
    { group: { g: 'a' }, measures: { count: 2, sum_v: '4', distinct_v: 2 } },
    { group: { g: 'b\nc' }, measures: { count: 1, sum_v: '2.5', distinct_v: 1 } },
  ]);
});
