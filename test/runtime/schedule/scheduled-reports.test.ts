/**
 * A scheduled report pipeline without a database, as designed for reading
 * raw files on a schedule and writing aggregated reports to S3: the
 * scheduled run over the day's prefix with the DynamoDB ledger and the
 * report sink writes `reports/<date>.json` with the day's aggregates, and a
 * `ReportsWritten` metric the NoReportWritten alarm watches; run again (a
 * retry), the files are duplicates and the report is the same.
 */
import { handleScheduledRun } from '../../../src/runtime/entry/scheduled-run';
import { METRIC } from '../../../src/shared/env';
import { closeHelpers, createAws, putObject, readText, TestAws, testRuntime } from '../helpers';
import { createTestLedger, TestLedger } from '../ledger/ledgers';

let aws: TestAws;
let ledger: TestLedger;

const REPORT = {
  kind: 'report',
  groupBy: ['region'],
  measures: [{ kind: 'count' }, { kind: 'sum', column: 'amount' }, { kind: 'max', column: 'amount' }],
};

beforeAll(async () => {
  aws = await createAws({ versioned: true });
  ledger = await createTestLedger('dynamodb', aws);
});
afterAll(async () => {
  await ledger.drop();
  closeHelpers();
});

test('the day\'s files aggregated into reports/<date>.json, again the same on a retry, with a ReportsWritten metric', async () => {
  await putObject(aws.input, 'raw-data/2026-03-02/a.csv', 'region,amount\neu,1.50\nus,2\n');
  await putObject(aws.input, 'raw-data/2026-03-02/b.csv', 'region,amount\neu,10.25\n');
  await putObject(aws.input, 'raw-data/2026-03-03/c.csv', 'region,amount\neu,100\n');
  const event = { scheduledRun: { bucket: aws.input, prefix: 'raw-data/{date}/', suffix: '.csv', scheduledTime: '2026-03-03T02:00:00Z', timeZone: 'UTC', daysBefore: 1 } };
  const expected = [
    { group: { region: 'eu' }, measures: { count: 2, sum_amount: '11.75', max_amount: '10.25' } },
    { group: { region: 'us' }, measures: { count: 1, sum_amount: '2', max_amount: '2' } },
  ];
  for (const attempt of [1, 2]) {
    const rt = testRuntime(aws, 'unused', ledger.env({ PIPELINE_SINKS: JSON.stringify([REPORT]) }));
    try {
      const result = await handleScheduledRun(event, rt);
      expect(result).toMatchObject({ scheduledRun: { date: '2026-03-02', report: expect.stringMatching(/reports\/2026-03-02\.json$/) } });
      const written = rt.metricLines.map((l) => JSON.parse(l)).filter((m) => m[METRIC.REPORTS_WRITTEN] === 1);
      expect(written).toHaveLength(1);
    } finally {
      await rt.close();
    }
    const report = JSON.parse(await readText(aws.output, 'reports/2026-03-02.json'));
    expect(report.counts).toMatchObject({ files: 2, succeeded: attempt === 1 ? 2 : 0, duplicate: attempt === 1 ? 0 : 2 });
    expect(report.aggregates).toEqual([expect.objectContaining({ files: 2, rows: 3, groups: expected })]);
  }
});
