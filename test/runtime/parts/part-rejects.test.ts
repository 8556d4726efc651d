/** The parts' rejects, kept per part and joined by the committing part: the same file one report of all the rows gives. */
import { fileRejects, partRejects } from '../../../src/runtime/load/parts/part-rejects';
import { RejectReport } from '../../../src/runtime/load/rejects';

const row = (line: number) => [line, `bad value "x${line}", here`, Buffer.from(`${line},x,"y\nz"`)] as const;

test('three parts with rejects, one without: one file in line order, as one report', () => {
  const whole = new RejectReport();
  const parts = [[3, 9], [], [12, 40, 41]].map((lines) => {
    const r = new RejectReport();
    for (const l of lines) {
      r.add(...row(l));
      whole.add(...row(l));
    }
    return { ...partRejects(r), rejected: r.count };
  });
  expect(parts[1]).toEqual({ rejectsCsv: '', listed: 0, rejected: 0 });
  expect(parts[2].listed).toBe(3);
  expect(fileRejects(parts)).toBe(whole.toCsv());
});

test('no part rejected a row: no rejects file', () => {
  expect(fileRejects([{ rejectsCsv: '', listed: 0, rejected: 0 }])).toBeUndefined();
});

test('a part whose report is capped: its unlisted rows are counted in the file\'s last line', () => {
  const r = new RejectReport();
  const big = Buffer.alloc(900, 'a');
  for (let l = 1; l <= 6000; l++) r.add(l, 'too long', big);
  // One part, capped: the file is its report.
  expect(fileRejects([{ ...partRejects(r), rejected: r.count }])).toBe(r.toCsv());
  const p = partRejects(r);
  expect(p.listed).toBeLessThan(6000);
  expect(p.rejectsCsv).not.toMatch(/more rejected rows are not listed/);
  const csv = fileRejects([{ ...p, rejected: r.count }])!;
  expect(csv.endsWith(`,${6000 - p.listed} more rejected rows are not listed: the report is capped at 4194304 bytes,\n`)).toBe(true);
});
