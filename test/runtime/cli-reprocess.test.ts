/**
 * `cdk-data-pipeline reprocess` on both ledgers, with the processor's
 * environment: every version that failed since a time is processed again
 * (its failure was the pipeline's: a sink that was down), and one succeeded
 * version is forced again; usage errors name the flags.
 */
import { Readable } from 'stream';
import { closeHelpers, createAws, TestAws, testRuntime, upload } from './helpers';
import { createTestLedger, LEDGER_KINDS, LedgerKind, TestLedger } from './ledger/ledgers';
import { registerSinkFactory } from '../../src/runtime/core/sinks';
import { runReprocess } from '../../src/runtime/entry/cli/reprocess-command';
import { runCli } from '../../src/runtime/entry/cli/run';
import { handleS3Event } from '../../src/runtime/entry/handle-event';
import { motoClientConfig } from '../support/moto';
import { createMotoProcessors, MotoProcessors, stopMotoProcessors } from '../support/moto-processors';

/** A sink that counts rows, and is "down" (throws, a pipeline failure) while `down` is set. */
let down = false;
registerSinkFactory('flaky', () => ({
  async load(_client, _file, open) {
    if (down) throw new Error('flaky sink: the downstream service is unavailable');
    let text = '';
    for await (const part of await open() as Readable) text += part;
    return { rowsLoaded: text.trim().split('\n').length - 1, rowsRejected: 0 };
  },
  async discard() {},
}));

let aws: TestAws;
let processors: MotoProcessors;
beforeAll(async () => {
  aws = await createAws({ versioned: true });
  processors = await createMotoProcessors();
});
afterAll(() => {
  closeHelpers();
  stopMotoProcessors();
});

describe.each(LEDGER_KINDS)('reprocess on the %s ledger', (kind: LedgerKind) => {
  let ledger: TestLedger;
  let env: Record<string, string>;
  beforeAll(async () => {
    ledger = await createTestLedger(kind, aws);
    env = ledger.env({ PIPELINE_SINKS: JSON.stringify([{ kind: 'flaky' }]) });
  });
  afterAll(async () => ledger.drop());

  async function cli(args: string[]) {
    let out = '';
    let err = '';
    const code = await runCli(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, env, aws: motoClientConfig() });
    return { code, lines: out.trim() ? out.trim().split('\n').map((l) => JSON.parse(l)) : [], err };
  }

  test('--failed processes again every version that failed; a named version is forced', async () => {
    const keys = [`${kind}/r/a.csv`, `${kind}/r/b.csv`, `${kind}/other/c.csv`];
    const uploads = [];
    const rt = testRuntime(aws, 'unused', env);
    try {
      down = true;
      for (const key of keys) {
        const up = await upload(aws.input, key, 'id\n1\n2\n3\n');
        uploads.push(up);
        await expect(handleS3Event(up.event, rt)).rejects.toThrow(/flaky sink/);
      }
    } finally {
      down = false;
      await rt.close();
    }
    // Through the deployed (Batch) processor: one job per failed version, listed from the same ledger.
    let sentOut = '';
    const sentCode = await runReprocess(['--failed', '--since', '1h', '--key-prefix', `${kind}/r/`, '--job-queue', processors.jobQueue, '--job-definition', processors.jobDefinition], {
      stdout: (t) => { sentOut += t; }, stderr: () => undefined, env, aws: motoClientConfig(), processorAws: processors.aws,
    });
    expect(sentCode).toBe(0);
    expect(sentOut.trim().split('\n').map((l) => JSON.parse(l)).map((l) => [l.key, l.versionId, l.processor, l.status]).sort()).toEqual([
      [keys[0], uploads[0].versionId, 'batch', 'started'], [keys[1], uploads[1].versionId, 'batch', 'started'],
    ]);

    const again = await cli(['reprocess', '--failed', '--since', '1h', '--key-prefix', `${kind}/r/`]);
    expect(again.code).toBe(0);
    expect(again.lines.map((o) => [o.key, o.status, o.rows, o.attempt]).sort()).toEqual([
      [`${kind}/r/a.csv`, 'succeeded', 3, 2], [`${kind}/r/b.csv`, 'succeeded', 3, 2],
    ]);
    expect((await ledger.records(keys[2]))[0]).toMatchObject({ status: 'failed' });
    // Nothing failed in that prefix any more.
    expect((await cli(['reprocess', '--failed', '--key-prefix', `${kind}/r/`])).lines).toEqual([]);

    const forced = await cli(['reprocess', '--bucket', aws.input, '--key', keys[0], '--version-id', uploads[0].versionId!]);
    expect(forced.code).toBe(0);
    expect(forced.lines).toEqual([expect.objectContaining({ status: 'succeeded', rows: 3, attempt: 3 })]);
  });
});

test('usage errors name the flags', async () => {
  const run = async (args: string[]) => {
    let err = '';
    const code = await runCli(args, { stdout: () => undefined, stderr: (t) => { err += t; }, env: {} });
    return { code, err };
  };
  expect(await run(['reprocess'])).toEqual({ code: 2, err: expect.stringMatching(/give one version \(--bucket and --key\) or --failed/) });
  expect((await run(['reprocess', '--key', 'k'])).err).toMatch(/--bucket and --key together/);
  expect((await run(['reprocess', '--bucket', 'b', '--key', 'k', '--since', '1h'])).err).toMatch(/--since, --key-prefix and --limit go with --failed/);
  expect((await run(['reprocess', '--failed', '--limit', '0'])).err).toMatch(/--limit "0" must be a whole number/);
  expect((await run(['reprocess', '--failed'])).err).toMatch(/PIPELINE_OUTPUT_BUCKET/);
});
