import { RejectReport } from '../../../src/runtime/load/rejects';

/** 40,000 rejects of about 200 bytes: past the 4 MB cap. */
const ROWS = Array.from({ length: 40_000 }, (_, i) => ({ line: i * 2 + 2, raw: Buffer.from(`${i},${'v'.repeat(150 + (i % 50))}`) }));

function reportOf(order: typeof ROWS): string | undefined {
  const report = new RejectReport();
  for (const r of order) report.add(r.line, 'bad value', r.raw);
  return report.toCsv();
}

test('in line order: the rows up to the cap are listed, then a line counts the others', () => {
  const csv = reportOf(ROWS)!;
  expect(csv.startsWith('line,reason,raw\n2,bad value,"0,vvv')).toBe(true);
  const listed = csv.split('\n').length - 3;
  expect(listed).toBeGreaterThan(10_000);
  expect(csv.endsWith(`,${40_000 - listed} more rejected rows are not listed: the report is capped at 4194304 bytes,\n`)).toBe(true);
});

test('found in any order (refused by PostgreSQL after later rows, or by several connections): the same report, byte for byte', () => {
  const inOrder = reportOf(ROWS);
  // Batches of 1,000 found late, as PostgreSQL's refusals are; and a shuffle.
  const late = [...ROWS.filter((_, i) => i % 7 !== 0), ...ROWS.filter((_, i) => i % 7 === 0)];
  expect(reportOf(late)).toBe(inOrder);
  let seed = 1;
  const shuffled = [...ROWS].sort(() => ((seed = (seed * 16807) % 2147483647) % 3) - 1);
  expect(reportOf(shuffled)).toBe(inOrder);
  expect(reportOf([...ROWS].reverse())).toBe(inOrder);
});

test('under the cap: every row listed, sorted by line', () => {
  const few = ROWS.slice(0, 100);
  expect(reportOf([...few].reverse())).toBe(reportOf(few));
  expect(reportOf(few)!.split('\n')).toHaveLength(102);
});
