/**
 * A prefix run's `aggregates` with the report sink, against PostgreSQL (the
 * ledger) and moto's S3: the files that succeeded in the run merged with a
 * duplicate whose summary is read back from its result document, equal to
 * the reference computation over all their rows; failed files and files
 * that cannot be merged are accounted for.
 */
import { jsonLogger } from '../../../src/runtime/contract/logger';
import { runPrefix } from '../../../src/runtime/core/prefix-run';
import { registerSinkFactory } from '../../../src/runtime/core/sinks';
import { s3PrefixAccess } from '../../../src/runtime/entry/s3-listing';
import { createReportSink, ReportSummary } from '../../../src/runtime/report';
import type { ReportSinkConfig } from '../../../src/shared/report-sink-config';
import { createTestDatabase } from '../../support/db';
import { closeHelpers, createAws, putObject, readText, TestAws, testRuntime } from '../helpers';
import { expectGroups, loadWhole, parseCsv, referenceGroups, report } from './helpers';

registerSinkFactory('report', (config) => createReportSink(config as unknown as ReportSinkConfig));

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;
const runtimes: { close(): Promise<void> }[] = [];
/** Messages the runs logged. */
let logged: string[] = [];

const REPORT = report({
  groupBy: ['region'],
  measures: [{ kind: 'count' }, { kind: 'sum', column: 'amount' }, { kind: 'max', column: 'amount' }, { kind: 'distinctCount', column: 'customer' }],
});

beforeAll(async () => {
  db = await createTestDatabase('report_run');
  aws = await createAws({ versioned: true });
});

afterAll(async () => {
  for (const r of runtimes) await r.close();
  closeHelpers();
  await db.drop();
});

/**
 * A prefix run as the CLI and the scheduled run do it, with the report sink
 * `config`; the output bucket's storage reads the result documents back,
 * unless `readBack` is false (a storage that cannot).
 */
async function run(prefix: string, date: string, config: ReportSinkConfig, readBack = true, env: Record<string, string> = {}) {
  const runtime = testRuntime(aws, db.url, { PIPELINE_SINKS: JSON.stringify([config]), ...env });
  runtimes.push(runtime);
  await runtime.migrate();
  return runPrefix({ bucket: aws.input, prefix, date, suffix: '.csv' }, {
    ...runtime,
    log: jsonLogger((line) => logged.push(JSON.parse(line).message)),
    ...s3PrefixAccess(runtime.s3, runtime.ownOutputs),
    ...(readBack ? {} : { storage: Object.assign(Object.create(runtime.storage), { readResult: undefined }) }),
  });
}

function rowsOf(region: string, n: number, offset: number): string {
  return Array.from({ length: n }, (_, i) => `${i % 3 === 0 ? region : 'shared'},${(offset + i * 7) % 1000}.${String(i % 100).padStart(2, '0')},c${(offset + i) % 400}`).join('\n');
}

test('the run report merges this run\'s files and a duplicate read back from its result document', async () => {
  const prefix = 'rep/2026-01-15/';
  const a = `region,amount,customer\n${rowsOf('eu', 600, 1)}\n`;
  await putObject(aws.input, `${prefix}a.csv`, a);
  const first = await run(prefix, '2026-01-15', REPORT);
  expect(first.report.counts).toMatchObject({ succeeded: 1 });
  expect(first.report.aggregates).toMatchObject([{ sink: 0, files: 1, rows: 600 }]);

  // The stored result carries the summary, sketches included, for later runs.
  const stored = JSON.parse(await readText(aws.output, `results/${prefix}a.csv.json`));
  expect(stored.sinks[0]).toMatchObject({ format: 'report/1', rows: 600 });
  expect(stored.sinks[0].groups.some((g: any) => g.sketches?.distinct_customer)).toBe(true);

  const b = `region,amount,customer\n${rowsOf('us', 500, 3)}\n`;
  const c = `customer,amount,region\n${Array.from({ length: 50 }, (_, i) => `c${i},${i}.5,eu`).join('\n')}\n`;
  await putObject(aws.input, `${prefix}b.csv`, b);
  await putObject(aws.input, `${prefix}c.csv`, c);
  await putObject(aws.input, `${prefix}d.csv`, 'region,amount,customer\neu,1,x\neu,oops,y\n');

  const second = await run(prefix, '2026-01-15', REPORT);
  expect(second.report.counts).toMatchObject({ files: 4, succeeded: 2, duplicate: 1, failed: 1 });
  const written = JSON.parse(await readText(aws.output, 'reports/2026-01-15.json'));
  expect(written.aggregates).toEqual(JSON.parse(JSON.stringify(second.report.aggregates)));
  const [agg] = written.aggregates;
  expect(agg).toMatchObject({ sink: 0, groupBy: ['region'], files: 3, rows: 1150 });
  expect(agg.measures.map((m: any) => m.name)).toEqual(['count', 'sum_amount', 'max_amount', 'distinct_customer']);
  expect(agg.notIncluded).toBeUndefined();
  // For people: no sketches in the run report.
  expect(JSON.stringify(agg)).not.toContain('sketches');

  // The reference: every row of a, b and c (c has its columns in another order), d failed.
  const records = [...parseCsv(a), ...parseCsv(b).slice(1)];
  const cRecords = parseCsv(c).slice(1).map((r) => ({ ...r, fields: [r.fields[2], r.fields[1], r.fields[0]] }));
  const expected = referenceGroups([...records, ...cRecords], REPORT);
  expect(expectGroups(agg.groups, expected, ['distinct_customer'])).toBeGreaterThan(0);
});

test('files that cannot be merged are listed with the reason, the others still merged', async () => {
  const prefix = 'rep/2026-01-16/';
  await putObject(aws.input, `${prefix}a.csv`, 'region,amount,customer\neu,1.5,x\n');
  await run(prefix, '2026-01-16', REPORT);
  await putObject(aws.input, `${prefix}b.csv`, 'region,amount,customer\neu,2,y\nus,3,z\n');

  // Without a result reader, the duplicate is listed, not guessed.
  const blind = await run(prefix, '2026-01-16', REPORT, false);
  expect(blind.report.aggregates).toEqual([expect.objectContaining({
    files: 1,
    rows: 2,
    notIncluded: [{ key: `${prefix}a.csv`, reason: 'this processor cannot read earlier result documents' }],
  })]);

  // Another configuration: the earlier summaries were aggregated otherwise.
  const other = { ...REPORT, measures: [{ kind: 'count' as const }] };
  const changed = await run(prefix, '2026-01-16', other);
  const [agg] = changed.report.aggregates!;
  expect(agg).toMatchObject({ files: 0, rows: 0, groups: [] });
  expect(agg.notIncluded!.map((n) => n.key)).toEqual([`${prefix}a.csv`, `${prefix}b.csv`]);
  expect(agg.notIncluded![0].reason).toBe(`the summary of ${prefix}a.csv: it was aggregated with another report configuration `
    + '(group by (region) measuring count=count, sum_amount=sum(amount), max_amount=max(amount), distinct_customer=distinctCount(customer), '
    + 'not group by (region) measuring count=count)');

  // The run's group limit: the file that would go past it is left out, named.
  const tight = { ...REPORT, maxGroups: 1 };
  const limited = await run(prefix, '2026-01-16', tight);
  const [l] = limited.report.aggregates!;
  expect(l).toMatchObject({ files: 1, rows: 1 });
  expect((l.groups as ReportSummary['groups']).map((g) => g.group)).toEqual([{ region: 'eu' }]);
  expect(l.notIncluded).toEqual([{
    key: `${prefix}b.csv`,
    reason: `with ${prefix}b.csv the run would have more than 1 groups of (region) (maxGroups); group by fewer or coarser columns, or raise maxGroups (memory grows with the number of groups)`,
  }]);
});

test('a pipeline without report sinks has no aggregates section', async () => {
  const table = { kind: 'postgresTable', schema: 'public', table: 'plain_rows', badRows: 'FAIL_FILE', extraColumns: 'IGNORE', columns: [{ name: 'id', type: 'integer', nullable: false }] };
  const runtime = testRuntime(aws, db.url, { PIPELINE_SINKS: JSON.stringify([table]) });
  runtimes.push(runtime);
  await runtime.migrate();
  await putObject(aws.input, 'plain/x.csv', 'id\n1\n');
  const out = await runPrefix({ bucket: aws.input, prefix: 'plain/', suffix: '.csv' }, { ...runtime, ...s3PrefixAccess(runtime.s3, runtime.ownOutputs) });
  expect(out.report.counts.succeeded).toBe(1);
  expect('aggregates' in out.report).toBe(false);
});

test('a file the processor loads in checkpointed chunks stores the summary of one pass', async () => {
  const prefix = 'rep/2026-01-17/';
  const data = `region,amount,customer\n${rowsOf('eu', 2500, 11)}\n`;
  await putObject(aws.input, `${prefix}big.csv`, data);
  logged = [];
  const out = await run(prefix, '2026-01-17', REPORT, true, { PIPELINE_CHECKPOINT_EVERY: '1000' });
  // Two chunks committed with their checkpoints, the third finishes the file.
  expect(logged.filter((m) => m === 'chunk committed')).toHaveLength(2);
  expect(out.report.counts).toMatchObject({ succeeded: 1 });
  const stored = JSON.parse(await readText(aws.output, `results/${prefix}big.csv.json`));
  expect(stored.sinks).toEqual([(await loadWhole(REPORT, data)).summary]);
  expect(out.report.aggregates).toMatchObject([{ files: 1, rows: 2500 }]);
});
