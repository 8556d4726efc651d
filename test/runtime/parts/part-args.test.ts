/** `--part i/N` and the array job's environment: parsed, or refused naming the option and the value. */
import { parseCommand } from '../../../src/runtime/entry/cli/args';
import { runCli } from '../../../src/runtime/entry/cli/run';

const process = ['process', __filename, '--database-url', 'postgres://localhost/x', '--table', 't', '--column', 'id:int'];

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env });
  return { code, stdout, stderr };
}

test('--part i/N is parsed for process and run --key', () => {
  expect(parseCommand([...process, '--part', '2/3'], {})).toMatchObject({ name: 'process', args: { part: { index: 2, count: 3 } } });
  expect(parseCommand(['run', '--bucket', 'b', '--key', 'k', '--part', '0/2'], {})).toMatchObject({ name: 'run', args: { part: { index: 0, count: 2 } } });
});

test('an array job child takes its part from PIPELINE_PARTS and AWS_BATCH_JOB_ARRAY_INDEX; without the index, the whole file', () => {
  const env = { PIPELINE_PARTS: '4', AWS_BATCH_JOB_ARRAY_INDEX: '3' };
  expect(parseCommand(['run', '--bucket', 'b', '--key', 'k'], env)).toMatchObject({ args: { part: { index: 3, count: 4 } } });
  expect((parseCommand(['run', '--bucket', 'b', '--key', 'k'], { PIPELINE_PARTS: '4' }) as { args: { part?: unknown } }).args.part).toBeUndefined();
  // A scheduled run of the same job definition is not an array job.
  expect(parseCommand(['run', '--bucket', 'b', '--prefix', 'p/'], { PIPELINE_PARTS: '4' })).toMatchObject({ name: 'run' });
});

test.each([
  [[...process, '--part', '3/2'], /--part 3\/2: part 3 does not exist in 2 parts \(they are 0 to 1\)/],
  [[...process, '--part', 'x'], /--part must be i\/N .*got "x"/],
  [[...process, '--part', '0/1'], /--part: the number of parts must be a whole number from 2 to 10000, got "1"/],
  [[...process, '--part', '0/10001'], /from 2 to 10000, got "10001"/],
  [[...process, '--part', '0/2', '--checkpoint-every', '100'], /--part and --checkpoint-every/],
  [['run', '--bucket', 'b', '--prefix', 'p/', '--part', '0/2'], /--part goes with --key/],
])('usage error %j', async (args, message) => {
  const r = await cli(args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toContain('Usage:');
});

test('the array index out of range names both variables', async () => {
  const r = await cli(['run', '--bucket', 'b', '--key', 'k'], { PIPELINE_PARTS: '4', AWS_BATCH_JOB_ARRAY_INDEX: '4' });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('AWS_BATCH_JOB_ARRAY_INDEX=4 with PIPELINE_PARTS=4 4/4: part 4 does not exist in 4 parts');
});

test('--part refuses sinks that cannot take parts, naming the option', async () => {
  const kafka = await cli([...process, '--ssl', 'disable', '--kafka-brokers', 'localhost:9092', '--kafka-topic', 'x', '--part', '0/2']);
  expect(kafka.code).toBe(2);
  expect(kafka.stderr).toContain('--part splits a file across processes into one table sink only');
});

test('--help names --part', async () => {
  expect((await cli(['process', '--help'])).stdout).toContain('--part <i/N>');
  expect((await cli(['run', '--help'])).stdout).toContain('PIPELINE_PARTS');
});
