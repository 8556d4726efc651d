/**
 * `cdk-data-pipeline status` on both ledgers: the recent versions newest
 * first, the filters, a table on a terminal and JSON otherwise, and usage
 * errors that name the flag.
 */
import { closeHelpers, createAws, TestAws, testRuntime, upload } from './helpers';
import { createTestLedger, LEDGER_KINDS, LedgerKind, TestLedger } from './ledger/ledgers';
import { runCli } from '../../src/runtime/entry/cli/run';
import { handleS3Event } from '../../src/runtime/entry/handle-event';
import { ENV } from '../../src/shared/env';
import { motoClientConfig } from '../support/moto';

let aws: TestAws;
beforeAll(async () => { aws = await createAws({ versioned: true }); });
afterAll(() => closeHelpers());

async function cli(args: string[], env: Record<string, string | undefined>, isTerminal = false) {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, env, isTerminal, aws: motoClientConfig() });
  return { code, out, err };
}

describe.each(LEDGER_KINDS)('status on the %s ledger', (kind: LedgerKind) => {
  let ledger: TestLedger;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    ledger = await createTestLedger(kind, aws);
    const runtimeEnv = ledger.env();
    env = kind === 'postgres'
      ? { [ENV.DATABASE_URL]: runtimeEnv[ENV.DATABASE_URL], PIPELINE_DB_SSL: 'disable' }
      : { [ENV.LEDGER_TABLE]: runtimeEnv[ENV.LEDGER_TABLE] };
    const rt = testRuntime(aws, 'unused', runtimeEnv);
    try {
      for (const [key, body] of [['st/a.csv', 'id\n1\n2\n'], ['st/b.csv', ''], ['other/c.csv', 'id\n1\n']]) {
        const up = await upload(aws.input, `${kind}/${key}`, body);
        await handleS3Event(up.event, rt);
      }
    } finally {
      await rt.close();
    }
  });
  afterAll(async () => ledger.drop());

  const ssl = () => (kind === 'postgres' ? ['--ssl', 'disable'] : []);

  test('JSON: newest first, with rows, attempts, errors and durations; filters by status and key prefix', async () => {
    const all = await cli(['status', '--key-prefix', `${kind}/`, ...ssl()], env);
    expect(all.code).toBe(0);
    const files = JSON.parse(all.out);
    expect(files.map((f: any) => [f.key, f.status])).toEqual([
      [`${kind}/other/c.csv`, 'succeeded'], [`${kind}/st/b.csv`, 'failed'], [`${kind}/st/a.csv`, 'succeeded'],
    ]);
    expect(files[2]).toMatchObject({ rows: 2, rowsRejected: 0, attempts: 1, error: null, durationMs: expect.any(Number) });
    expect(files[1]).toMatchObject({ rows: null, attempts: 1, error: expect.stringMatching(/empty/i) });

    const failed = JSON.parse((await cli(['status', '--status', 'failed', '--key-prefix', `${kind}/st/`, '--since', '1h', ...ssl()], env)).out);
    expect(failed.map((f: any) => f.key)).toEqual([`${kind}/st/b.csv`]);
    expect(JSON.parse((await cli(['status', '--since', '2999-01-01T00:00:00Z', ...ssl()], env)).out)).toEqual([]);
    expect(JSON.parse((await cli(['status', '--key-prefix', `${kind}/`, '--limit', '1', ...ssl()], env)).out)).toHaveLength(1);
  });

  test('a table on a terminal', async () => {
    const { out } = await cli(['status', '--key-prefix', `${kind}/st/`, ...ssl()], env, true);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+ROWS\s+REJECTED\s+ATTEMPTS\s+FINISHED\s+DURATION\s+KEY\s+ERROR$/);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(new RegExp(`succeeded\\s+2\\s+0\\s+1\\s+\\S+ \\S+\\s+\\d+\\.\\ds\\s+s3://${aws.input}/${kind}/st/a\\.csv$`));
  });
});

test('usage errors name the flag and show the command\'s help', async () => {
  const bad = await cli(['status', '--since', 'yesterday', '--ledger-table', 't'], {});
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/--since "yesterday" must be an age such as 24h/);
  expect(bad.err).toMatch(/Usage: cdk-data-pipeline status/);
  expect((await cli(['status', '--status', 'done', '--ledger-table', 't'], {})).err).toMatch(/--status "done" must be one of processing, succeeded/);
  expect((await cli(['status'], {})).err).toMatch(/give the ledger: --database-url/);
  expect((await cli(['status', '--database-url', 'postgres://x/y', '--ledger-table', 't'], {})).err).toMatch(/name two ledgers/);
  expect((await cli(['status', '--help'], {})).out).toMatch(/--key-prefix <prefix>/);
});
