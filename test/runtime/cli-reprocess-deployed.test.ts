/**
 * `cdk-data-pipeline reprocess` through the deployed processor, against
 * moto's Lambda, ECS and Batch: the request each gets (payload, command
 * override, network), what is printed per version, exit statuses, --wait,
 * and usage errors that name the flags.
 */
// eslint-disable-next-line import/no-extraneous-dependencies
import { DescribeJobsCommand, BatchClient } from '@aws-sdk/client-batch';
// eslint-disable-next-line import/no-extraneous-dependencies
import { DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { runReprocess } from '../../src/runtime/entry/cli/reprocess-command';
import { runCli } from '../../src/runtime/entry/cli/run';
import { createMotoProcessors, MotoProcessors, queueLambdaResponse, stopMotoProcessors } from '../support/moto-processors';

let processors: MotoProcessors;
beforeAll(async () => { processors = await createMotoProcessors(); });
afterAll(() => stopMotoProcessors());

const VERSION = ['--bucket', 'landing', '--key', 'raw-data/2026-01-15/orders.csv', '--version-id', 'v-7'];
const COMMAND = ['run', '--bucket', 'landing', '--key', 'raw-data/2026-01-15/orders.csv', '--version-id', 'v-7', '--force'];

async function reprocess(args: string[], pollMs = 50) {
  let out = '';
  const code = await runReprocess(args, { stdout: (t) => { out += t; }, stderr: () => undefined, env: {}, aws: processors.aws, pollMs });
  return { code, lines: out.trim().split('\n').map((l) => JSON.parse(l)) };
}

function fargateFlags(): string[] {
  const p = processors;
  return ['--cluster', p.cluster, '--task-definition', p.taskDefinition, '--subnets', p.subnets.join(','), '--security-groups', p.securityGroups.join(',')];
}

describe('Lambda (--function)', () => {
  test('invokes with the reprocess payload and prints the outcome the function answers', async () => {
    const outcome = { status: 'succeeded', bucket: 'landing', key: 'raw-data/2026-01-15/orders.csv', versionId: 'v-7', rows: 3, attempt: 2 };
    await queueLambdaResponse(outcome);
    expect(await reprocess([...VERSION, '--function', processors.functionName])).toEqual({ code: 0, lines: [outcome] });

    await queueLambdaResponse({ ...outcome, status: 'failed', rows: 0, error: 'line 2, column 1 (id): "x" is not an integer' });
    const failed = await reprocess([...VERSION, '--function', processors.functionName]);
    expect(failed.code).toBe(1);
    expect(failed.lines[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('line 2') });
  });

  test('an answer that is not an outcome is a failure that shows it (here moto echoes the request: the payload sent)', async () => {
    const { code, lines } = await reprocess([...VERSION, '--function', processors.functionName]);
    expect(code).toBe(1);
    expect(lines[0].status).toBe('failed');
    const echoed = JSON.parse(lines[0].error.replace(/^.*answered without an outcome: /, ''));
    expect(echoed).toEqual({ reprocess: { bucket: 'landing', key: 'raw-data/2026-01-15/orders.csv', versionId: 'v-7' } });
  });
});

describe('Fargate (--cluster ...)', () => {
  let ecs: ECSClient;
  beforeAll(() => { ecs = new ECSClient(processors.aws); });
  afterAll(() => ecs.destroy());

  test('starts one task with the run --force command in the given subnets and security groups', async () => {
    const { code, lines } = await reprocess([...VERSION, ...fargateFlags()]);
    expect(code).toBe(0);
    expect(lines).toEqual([{ bucket: 'landing', key: 'raw-data/2026-01-15/orders.csv', versionId: 'v-7', processor: 'fargate', taskArn: expect.stringMatching(/^arn:aws:ecs:/), status: 'started' }]);
    const task = (await ecs.send(new DescribeTasksCommand({ cluster: processors.cluster, tasks: [lines[0].taskArn] }))).tasks![0];
    expect(task.overrides?.containerOverrides).toEqual([expect.objectContaining({ name: 'processor', command: COMMAND })]);
    expect(task.launchType).toBe('FARGATE');
  });

  test('--wait follows the task until it stops and reports how it ended', async () => {
    const running = reprocess([...VERSION, ...fargateFlags(), '--wait']);
    // Stop the task once it runs, as ECS does when the program exits.
    let stopped = false;
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const arns = (await ecs.send(new ListTasksCommand({ cluster: processors.cluster, desiredStatus: 'RUNNING' }))).taskArns ?? [];
      for (const task of arns) await ecs.send(new StopTaskCommand({ cluster: processors.cluster, task, reason: 'Essential container in task exited' }));
      stopped = arns.length > 0;
    }
    const { code, lines } = await running;
    // moto reports exit code 0 for a stopped container.
    expect({ code, lines }).toEqual({
      code: 0,
      lines: [expect.objectContaining({ processor: 'fargate', status: 'succeeded', containerExitCode: 0, stoppedReason: 'Essential container in task exited' })],
    });
  });
});

describe('Batch (--job-queue ...)', () => {
  test('submits one job with the run --force command; --wait reports its end', async () => {
    const { code, lines } = await reprocess([...VERSION, '--job-queue', processors.jobQueue, '--job-definition', processors.jobDefinition, '--wait']);
    expect(code).toBe(0);
    expect(lines).toEqual([expect.objectContaining({ processor: 'batch', status: 'succeeded', jobId: expect.any(String), key: 'raw-data/2026-01-15/orders.csv' })]);
    const batch = new BatchClient(processors.aws);
    try {
      const job = (await batch.send(new DescribeJobsCommand({ jobs: [lines[0].jobId] }))).jobs![0];
      expect(job.container?.command).toEqual(COMMAND);
      expect(job.jobName).toBe('reprocess-raw-data-2026-01-15-orders-csv');
    } finally {
      batch.destroy();
    }
  });
});

test('usage errors name the flags', async () => {
  const usage = async (args: string[]) => {
    let err = '';
    const code = await runCli(['reprocess', ...args], { stdout: () => undefined, stderr: (t) => { err += t; }, env: {} });
    return { code, first: err.split('\n')[0] };
  };
  const cases: Array<[string[], RegExp]> = [
    [[...VERSION, '--function', 'f', '--job-queue', 'q'], /--function, --cluster and --job-queue name three kinds of processor: give one/],
    [[...VERSION, '--cluster', 'c', '--task-definition', 't', '--security-groups', 'sg-1'], /--subnets is missing/],
    [[...VERSION, '--cluster', 'c', '--task-definition', 't', '--subnets', 'a,,b', '--security-groups', 'sg-1'], /--subnets "a,,b" must be ids separated by commas/],
    [[...VERSION, '--job-queue', 'q'], /--job-definition is missing/],
    [[...VERSION, '--wait'], /--wait follows a deployed Fargate task or Batch job/],
    [[...VERSION, '--function', 'f', '--wait'], /--wait is for Fargate and Batch/],
    [[...VERSION, '--job-queue', 'q', '--job-definition', 'd', '--wait', '--wait-minutes', '0'], /--wait-minutes "0" must be a whole number from 1 to 1440/],
    [['--failed', '--database-url', 'postgres://x/y'], /--database-url goes with a deployed processor/],
    [['--failed', '--function', 'f'], /give the ledger: --database-url/],
  ];
  for (const [args, message] of cases) {
    const { code, first } = await usage(args);
    expect([args.join(' '), code, first]).toEqual([args.join(' '), 2, expect.stringMatching(message)]);
  }
});
