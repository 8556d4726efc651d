/**
 * Bad configuration in the environment: createRuntime, the processor's cold
 * start, fails with an error that names the variable (and, for a sink, its
 * index) instead of failing later, file by file, with something obscure.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { closeHelpers, createAws, runtimeEnv, sqsEvent, TestAws, upload } from '../helpers';
import { faultRuntime, generateCsv, sinksEnv, tableChecksum } from './fault-helpers';
import { silentLogger } from '../../../src/runtime/contract/logger';
import { handleEvent } from '../../../src/runtime/entry/handle-event';
import { createRuntime } from '../../../src/runtime/entry/lambda-runtime';
import { createTestDatabase } from '../../support/db';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let aws: TestAws;

beforeAll(async () => {
  [db, aws] = await Promise.all([createTestDatabase('cfgf'), createAws()]);
});

afterAll(async () => {
  closeHelpers();
  await db?.drop();
});

describe('bad configuration: createRuntime (the cold start) fails naming the variable', () => {
  const base = () => runtimeEnv(aws, db.url);
  const cold = (env: Record<string, string | undefined>) => () => createRuntime({
    env: { ...base(), ...env }, log: silentLogger, writeMetric: () => undefined,
  });

  test.each([
    ['PIPELINE_SINKS not JSON', { PIPELINE_SINKS: '[{"kind": ' }, /^PIPELINE_SINKS is not valid JSON: /],
    ['PIPELINE_SINKS not an array', { PIPELINE_SINKS: '{"kind": "postgresTable"}' }, 'PIPELINE_SINKS must be a JSON array of sink configurations'],
    ['a sink without a kind', { PIPELINE_SINKS: '[{"table": "t"}]' }, 'PIPELINE_SINKS[0] must be an object with a "kind"'],
    ['an unknown sink kind', { PIPELINE_SINKS: '[{"kind": "mysql"}]' }, 'PIPELINE_SINKS[0] has kind "mysql", which this processor build does not support (available: postgresTable, report, kafka)'],
    ['an invalid table sink', { PIPELINE_SINKS: JSON.stringify([{ kind: 'postgresTable', schema: 'public', table: 't', columns: [], badRows: 'FAIL_FILE', extraColumns: 'IGNORE' }]) },
      /^PIPELINE_SINKS\[0\]: Invalid postgresTable sink configuration: /],
    ['no output bucket', { PIPELINE_OUTPUT_BUCKET: '' }, 'Environment variable PIPELINE_OUTPUT_BUCKET is not set'],
    ['no database', { PIPELINE_DATABASE_URL: undefined }, 'Set PIPELINE_DB_SECRET_ARN (Secrets Manager secret of the database) or PIPELINE_DATABASE_URL'],
    ['a bad TLS mode', { PIPELINE_DB_SSL: 'require' }, 'PIPELINE_DB_SSL must be "verify-full" or "disable", got "require"'],
  ])('%s', (_what, env, message) => {
    expect(cold(env)).toThrow(message);
  });

  test('an unknown kind in PIPELINE_SINKS_FILE names the file and the variable', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-sinkfile-')), 'sinks.json');
    try {
      fs.writeFileSync(file, '[{"kind": "mysql"}]');
      expect(cold({ PIPELINE_SINKS_FILE: file })).toThrow(`${file} (PIPELINE_SINKS_FILE)[0] has kind "mysql", which this processor build does not support`);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  test('a good configuration loads a file end to end (the baseline of the cases above)', async () => {
    const runtime = faultRuntime(aws, db.url, { env: sinksEnv() });
    try {
      const csv = generateCsv(7, 'cfg');
      const { event } = await upload(aws.input, 'config/baseline.csv', csv.body);
      expect((await handleEvent(sqsEvent(event), runtime)).files).toEqual([expect.objectContaining({ status: 'succeeded', rows: 7 })]);
      expect(await tableChecksum(db.url)).toEqual({ rows: 7, md5: csv.md5 });
    } finally {
      await runtime.close();
    }
  });
});
