/**
 * The report sink's bad rows, header problems and group limit: the same
 * policies and messages as the table sink, including over the benchmark's
 * file with every kind of broken row.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expectGroups, loadChunked, loadWhole, parseCsv, referenceGroups, report } from './helpers';
import { BAD_ROW_KINDS, generateCsv } from '../../../bench/csv-generator';
import { InputError } from '../../../src/runtime/contract/errors';
import { createReportSink, ReportSummary, withoutSketches } from '../../../src/runtime/report';

const SUM = report({ groupBy: ['g'], measures: [{ kind: 'count' }, { kind: 'sum', column: 'amount' }] });
const SKIP = { ...SUM, badRows: 'SKIP_AND_REPORT' as const };

async function failure(config: Parameters<typeof loadWhole>[0], data: string | Buffer): Promise<InputError> {
  const err = await loadWhole(config, data, 5).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe('FAIL_FILE: the first bad row fails the file, naming line and column', () => {
  test.each<[string, string | Buffer, string, number, string | undefined]>([
    ['a value that is not a number', 'g,amount\na,1\nb,n/a\n', 'line 3, column "amount": invalid input syntax for type numeric: "n/a"', 3, 'amount'],
    ['a quoted empty value', 'g,amount\na,""\n', 'line 2, column "amount": invalid input syntax for type numeric: ""', 2, 'amount'],
    ['infinity (no exact sum)', 'g,amount\na,Infinity\n', 'line 2, column "amount": invalid input syntax for type numeric: "Infinity"', 2, 'amount'],
    ['too few fields', 'g,amount\na\n', 'line 2: missing data for column "amount" (1 fields, the header has 2)', 2, undefined],
    ['too many fields', 'g,amount\na,1,2\n', 'line 2: extra data after last expected column (3 fields, the header has 2)', 2, undefined],
    ['invalid UTF-8, after a quoted newline', Buffer.concat([Buffer.from('g,amount\n"x\ny",1\nb'), Buffer.from([0xff]), Buffer.from(',2\n')]),
      'line 4, column "g": invalid byte sequence for encoding "UTF8"', 4, 'g'],
    ['an unterminated quote at the end', 'g,amount\na,1\n"b,2\n', 'line 3: unterminated CSV quoted field (the quote opened on this line is not closed)', 3, undefined],
    ['an unterminated quote on the last line, no line end', 'g,amount\na,1\n"b,2', 'line 3: unterminated CSV quoted field', 3, undefined],
  ])('%s', async (_name, data, message, line, column) => {
    const err = await failure(SUM, data);
    expect(err.message).toBe(message);
    expect({ line: err.line, column: err.column }).toEqual({ line, column });
  });

  test('lines count blank lines and quoted newlines, in a chunk too', async () => {
    const data = 'g,amount\n\n"a\nb",1\n\nc,x\n';
    expect((await failure(SUM, data)).message).toBe('line 6, column "amount": invalid input syntax for type numeric: "x"');
    await expect(loadChunked(SUM, data, 2)).rejects.toThrow('line 6, column "amount": invalid input syntax for type numeric: "x"');
  });
});

describe('SKIP_AND_REPORT: bad rows go to the rejects CSV, the others are aggregated', () => {
  test('rejects in the table sink\'s format (line,reason,raw); a quote left open costs only its line', async () => {
    const out = await loadWhole(SKIP, 'g,amount\na,1\nb,n/a\n"c,2\na,3\nd\na,"4"\n');
    expect(out.rowsLoaded).toBe(3);
    expect(out.rowsRejected).toBe(3);
    expect(out.rejectsCsv).toBe('line,reason,raw\n'
      + '3,"column ""amount"": invalid input syntax for type numeric: ""n/a""","b,n/a"\n'
      + '4,unterminated CSV quoted field (the quote opened on this line is not closed),"""c,2"\n'
      + '6,"missing data for column ""amount"" (1 fields, the header has 2)",d\n');
    expect(withoutSketches(out.summary as ReportSummary).groups).toEqual([{ group: { g: 'a' }, measures: { count: 3, sum_amount: '8' } }]);
  });

  test('a bad value in any measured column keeps the row out of every measure', async () => {
    const config = report({ badRows: 'SKIP_AND_REPORT', measures: [{ kind: 'count' }, { kind: 'sum', column: 'a' }, { kind: 'max', column: 'b' }, { kind: 'distinctCount', column: 'c' }] });
    const out = await loadWhole(config, 'a,b,c\n1,2,x\n5,oops,y\n');
    expect(withoutSketches(out.summary as ReportSummary).groups[0].measures).toEqual({ count: 1, sum_a: '1', max_b: '2', distinct_c: 1 });
  });

  test('the benchmark file with every kind of broken row: rejected rows exactly the reference\'s, aggregates equal, whole or chunked', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-bad-'));
    try {
      const every = 100;
      const rows = 12_000;
      const clean = parseCsv(fs.readFileSync((await generateCsv(path.join(dir, 'clean.csv'), rows)).path, 'utf8'));
      const broken = fs.readFileSync((await generateCsv(path.join(dir, 'bad.csv'), rows, every)).path);
      const kindOf = (id: number) => (id % every === every / 2 ? BAD_ROW_KINDS[Math.floor(id / every) % BAD_ROW_KINDS.length] : undefined);
      // What the generator changes in a row, as the report sees it: a bad date is just another group value,
      // an empty customer a NULL; the other kinds break the row's structure or its measured qty.
      const rejectedKinds = new Set(['type mismatch', 'wrong column count', 'invalid UTF-8', 'bad quoting']);
      const records = clean.map((r, i) => {
        const kind = i === 0 ? undefined : kindOf(Number(r.fields[0]));
        if (kind === 'bad date') return { ...r, fields: r.fields.map((f, c) => (c === 6 ? '2023-02-30' : f)) };
        if (kind === 'NULL in NOT NULL column') return { ...r, fields: r.fields.map((f, c) => (c === 3 ? null : f)) };
        return r;
      });
      const isRejected = (r: { fields: (string | null)[] }) => rejectedKinds.has(kindOf(Number(r.fields[0])) ?? '');
      const config = report({
        badRows: 'SKIP_AND_REPORT',
        groupBy: ['active', 'ship_day'],
        measures: [{ kind: 'count' }, { kind: 'sum', column: 'qty' }, { kind: 'max', column: 'price' }, { kind: 'distinctCount', column: 'customer' }],
      });
      const out = await loadWhole(config, broken);
      const rejectedLines = records.slice(1).filter(isRejected).map((r) => r.line);
      expect(rejectedLines).toHaveLength((rows / every) * (4 / 6));
      expect(out.rowsRejected).toBe(rejectedLines.length);
      expect(out.rowsLoaded).toBe(rows - rejectedLines.length);
      expect(out.rejectsCsv!.split('\n').slice(1, -1).map((l) => Number(l.split(',')[0]))).toEqual(rejectedLines);
      const expected = referenceGroups(records, config, isRejected);
      expectGroups(withoutSketches(out.summary as ReportSummary).groups, expected, ['distinct_customer']);
      const chunked = await loadChunked(config, broken, 500);
      expect({ rows: chunked.rowsLoaded, rejected: chunked.rowsRejected }).toEqual({ rows: out.rowsLoaded, rejected: out.rowsRejected });
      expect(chunked.summary).toEqual(out.summary);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('header problems name the column and the header', () => {
  test.each<[string, Partial<Parameters<typeof report>[0]>, string]>([
    ['a group-by column', { groupBy: ['region'] }, 'line 1: column "region" (groupBy) is missing from the header (found: "g", "amount")'],
    ['a measured column', { measures: [{ kind: 'max', column: 'Amount' }] }, 'line 1: column "Amount" (measure max_Amount) is missing from the header (found: "g", "amount")'],
  ])('%s missing', async (_name, over, message) => {
    const err = await failure({ ...SUM, ...over } as Parameters<typeof loadWhole>[0], 'g,amount\na,1\n');
    expect(err.message).toBe(message);
    expect(err.line).toBe(1);
  });

  test('a used column twice in the header; an empty file', async () => {
    expect((await failure(SUM, 'g,amount,g\na,1,b\n')).message).toBe('line 1: column "g" appears more than once in the header');
    expect((await failure(SUM, '')).message).toMatch(/^line 1: the file is empty/);
  });
});

describe('the group limit', () => {
  const limited = { ...SUM, groupBy: ['region', 'day'], maxGroups: 3 };
  const data = 'region,day,amount\neu,1,1\neu,2,1\nus,1,1\neu,1,1\nus,2,1\n';

  test('the group past maxGroups fails the file, naming the file, line, limit and columns', async () => {
    const err = await failure(limited, data);
    expect(err.message).toBe('file s3://in/day/sales.csv line 6: more than 3 groups of (region, day) (maxGroups); '
      + 'group by fewer or coarser columns, or raise maxGroups (memory grows with the number of groups)');
    expect(err.line).toBe(6);
    // SKIP_AND_REPORT is about bad rows, not the configuration: still a failure.
    await expect(loadWhole({ ...limited, badRows: 'SKIP_AND_REPORT' }, data)).rejects.toThrow(/line 6: more than 3 groups/);
    // At the limit exactly, it passes.
    await expect(loadWhole(limited, data.split('\n').slice(0, 5).join('\n'))).resolves.toMatchObject({ rowsLoaded: 4 });
  });

  test('chunks under the limit each, over it together: combining them fails', async () => {
    await expect(loadChunked(limited, data, 2)).rejects.toThrow(
      "the file's chunks together have more than 3 groups of (region, day) (maxGroups)");
  });

  test('the default limit is 10,000 groups', async () => {
    const rows = Array.from({ length: 10_001 }, (_, i) => `k${i},1`).join('\n');
    await expect(loadWhole(SUM, `g,amount\n${rows}\n`)).rejects.toThrow('line 10002: more than 10000 groups of (g)');
  });
});

test('an invalid configuration is refused when the sink is created, naming the option', () => {
  expect(() => createReportSink(report({ groupBy: ['a', 'a'], measures: [{ kind: 'sum' }], maxGroups: 0 }))).toThrow(
    'report sink: groupBy[1] "a" is listed twice; measures[0].column must be a non-empty column name, got nothing; maxGroups must be a whole number from 1 to 1000000, got 0');
});

test('discard() has nothing to remove and touches nothing', async () => {
  await expect(createReportSink(SUM).discard(undefined as never, [1, 2])).resolves.toBeUndefined();
});
