import { Readable } from 'stream';
import { Stack } from 'aws-cdk-lib';
import { BadRowPolicy, Measure, MeasureKind, Sink } from '../../src';
import { createReportSink, ReportSummary } from '../../src/runtime/report';
import type { ReportSinkConfig } from '../../src/shared/report-sink-config';

const bindJson = (sink: Sink) => {
  const bound = sink.bind(new Stack(), undefined as any);
  return { ...bound, config: JSON.parse(bound.json) as ReportSinkConfig };
};

describe('Measure', () => {
  test.each<[Measure, MeasureKind, string | undefined, string]>([
    [Measure.count(), MeasureKind.COUNT, undefined, 'count'],
    [Measure.sum('amount'), MeasureKind.SUM, 'amount', 'sum_amount'],
    [Measure.min('amount'), MeasureKind.MIN, 'amount', 'min_amount'],
    [Measure.max('Order Total'), MeasureKind.MAX, 'Order Total', 'max_Order Total'],
    [Measure.distinctCount('customer'), MeasureKind.DISTINCT_COUNT, 'customer', 'distinct_customer'],
    [Measure.sum('amount', { name: 'revenue' }), MeasureKind.SUM, 'amount', 'revenue'],
    [Measure.count({ name: 'orders' }), MeasureKind.COUNT, undefined, 'orders'],
  ])('%#: kind, column and the name in the report', (m, kind, column, name) => {
    expect({ kind: m.kind, column: m.column, name: m.name }).toEqual({ kind, column, name });
  });

  test.each<[() => Measure, string]>([
    [() => Measure.sum(''), 'Measure.sum(): column must be a non-empty CSV column name, got ""'],
    [() => Measure.distinctCount(undefined as any), 'Measure.distinctCount(): column must be a non-empty CSV column name, got nothing'],
    [() => Measure.max('a', { name: ' ' }), 'Measure.max(): name must be a non-empty string, got " "'],
  ])('refuses bad arguments, naming the factory: %#', (build, message) => {
    expect(build).toThrow(message);
  });
});

describe('Sink.report', () => {
  test('binds to the report sink configuration, outside the database', () => {
    const bound = bindJson(Sink.report({
      groupBy: ['region', 'day'],
      measures: [Measure.count(), Measure.sum('amount'), Measure.distinctCount('customer', { name: 'customers' })],
      badRows: BadRowPolicy.SKIP_AND_REPORT,
      maxGroups: 500,
    }));
    expect(bound.kind).toBe('report');
    expect(bound.usesDatabase).toBe(false);
    expect(bound.config).toEqual({
      kind: 'report',
      groupBy: ['region', 'day'],
      measures: [
        { kind: 'count', name: 'count' },
        { kind: 'sum', column: 'amount', name: 'sum_amount' },
        { kind: 'distinctCount', column: 'customer', name: 'customers' },
      ],
      badRows: 'SKIP_AND_REPORT',
      maxGroups: 500,
    });
  });

  test('defaults: one group, FAIL_FILE, the runtime\'s default group limit', () => {
    expect(bindJson(Sink.report({ measures: [Measure.count()] })).config).toEqual({
      kind: 'report', groupBy: [], measures: [{ kind: 'count', name: 'count' }], badRows: 'FAIL_FILE',
    });
  });

  test('the runtime accepts the bound configuration and reports with it', async () => {
    const { config } = bindJson(Sink.report({ groupBy: ['region'], measures: [Measure.count(), Measure.sum('amount', { name: 'total' })] }));
    const out = await createReportSink(config).load(undefined, { fileId: 1, bucket: 'b', key: 'k.csv', version: 'v' },
      async () => Readable.from([Buffer.from('region,amount\neu,1.25\neu,2\nus,3\n')]));
    expect((out.summary as ReportSummary).groups).toEqual([
      { group: { region: 'eu' }, measures: { count: 2, total: '3.25' } },
      { group: { region: 'us' }, measures: { count: 1, total: '3' } },
    ]);
  });

  test.each<[string, () => Sink, string]>([
    ['no measures', () => Sink.report({ measures: [] }), 'Sink.report(): measures must list at least one measure (e.g. Measure.count()), got []'],
    ['too many group-by columns', () => Sink.report({ groupBy: ['a', 'b', 'c', 'd', 'e', 'f'], measures: [Measure.count()] }),
      'Sink.report(): groupBy has 6 columns; at most 5 are allowed (each one multiplies the groups)'],
    ['a group-by column twice', () => Sink.report({ groupBy: ['a', 'a'], measures: [Measure.count()] }), 'Sink.report(): groupBy[1] "a" is listed twice'],
    ['an empty group-by column', () => Sink.report({ groupBy: [''], measures: [Measure.count()] }), 'Sink.report(): groupBy[0] must be a non-empty column name, got ""'],
    ['a padded group-by column', () => Sink.report({ groupBy: [' a'], measures: [Measure.count()] }),
      'Sink.report(): groupBy[0] " a" has leading or trailing white space (header names are trimmed, so it would never match)'],
    ['two measures with one name', () => Sink.report({ measures: [Measure.sum('a'), Measure.max('b', { name: 'sum_a' })] }),
      'Sink.report(): measures[1] is named "sum_a" like measures[0]; give one of them another name'],
    ['maxGroups 0', () => Sink.report({ measures: [Measure.count()], maxGroups: 0 }), 'Sink.report(): maxGroups must be a whole number from 1 to 1000000, got 0'],
    ['maxGroups not whole', () => Sink.report({ measures: [Measure.count()], maxGroups: 2.5 }), 'Sink.report(): maxGroups must be a whole number from 1 to 1000000, got 2.5'],
    ['a bad badRows', () => Sink.report({ measures: [Measure.count()], badRows: 'IGNORE' as any }), 'Sink.report(): badRows must be FAIL_FILE or SKIP_AND_REPORT, got "IGNORE"'],
  ])('refuses %s at synth time, naming the option', (_name, build, message) => {
    expect(build).toThrow(message);
  });
});
