/**
 * `reprocess` through the deployed processor instead of on this machine:
 * the commands the README documents for manual runs, one per version.
 * - Lambda (`--function`): invoked synchronously with `{"reprocess": ...}`;
 *   the response is the version's outcome.
 * - Fargate (`--cluster --task-definition --subnets --security-groups`): one
 *   task running `run --bucket B --key K [--version-id V] --force`.
 * - Batch (`--job-queue --job-definition`): one job with that command.
 * With `--wait` a task or job is followed until it stops, and its exit
 * status is the version's (0 succeeded, 1 failed, 75 interrupted).
 */
/* eslint-disable import/no-extraneous-dependencies -- bundled into assets/ by esbuild; devDependencies on purpose (.projenrc.ts) */
import { BatchClient, DescribeJobsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import { DescribeTasksCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
/* eslint-enable import/no-extraneous-dependencies */
import { UsageError } from './args';
import { EXIT } from './exit-codes';
import { exitCodeOf } from './run-command';
import type { ReprocessPayload } from '../reprocess';

/** The container that runs the program in the Fargate task and the Batch job (src/processor/container-processor-base.ts). */
const CONTAINER = 'processor';

export const DEPLOYED_USAGE = `Through the deployed processor (the names are the stack's: pipeline.processor):
  --function <name|arn>        Lambda: invoke it synchronously per version; prints its outcome
  --cluster <name|arn>         Fargate: start one task per version in this cluster...
  --task-definition <family>   ...of this task definition...
  --subnets <id,id>            ...in these (the pipeline's private) subnets...
  --security-groups <id,...>   ...with the processor's security group
  --job-queue <name|arn>       Batch: submit one job per version to this queue...
  --job-definition <name|arn>  ...with this job definition
  --wait                       Fargate/Batch: follow each task or job until it stops
  --wait-minutes <n>           With --wait: give up following after n minutes (default 60)`;

export const DEPLOYED_OPTIONS = {
  'function': { type: 'string' },
  'cluster': { type: 'string' },
  'task-definition': { type: 'string' },
  'subnets': { type: 'string' },
  'security-groups': { type: 'string' },
  'job-queue': { type: 'string' },
  'job-definition': { type: 'string' },
  'wait': { type: 'boolean' },
  'wait-minutes': { type: 'string' },
} as const;

type DeployedValues = { readonly [K in keyof typeof DEPLOYED_OPTIONS]?: (typeof DEPLOYED_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

export interface DeployedIo {
  readonly aws?: { endpoint?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
  /** Test hook: how often a followed task or job is described (default 10 s). */
  readonly pollMs?: number;
  readonly interrupt?: AbortSignal;
}

/** What one version sent to the deployed processor printed and asks the exit status to be. */
export interface DeployedResult {
  readonly line: object;
  readonly exitCode: number;
}

export interface DeployedProcessor {
  reprocess(version: ReprocessPayload): Promise<DeployedResult>;
  close(): void | Promise<void>;
}

/** The deployed processor the flags name, or undefined to reprocess here. Throws UsageError naming the flag. */
export function deployedProcessor(v: DeployedValues, io: DeployedIo): DeployedProcessor | undefined {
  const ecs = v.cluster !== undefined || v['task-definition'] !== undefined || v.subnets !== undefined || v['security-groups'] !== undefined;
  const batch = v['job-queue'] !== undefined || v['job-definition'] !== undefined;
  const kinds = [v.function !== undefined, ecs, batch].filter(Boolean).length;
  if (kinds > 1) throw new UsageError('--function, --cluster and --job-queue name three kinds of processor: give one');
  if (kinds === 0) {
    if (v.wait || v['wait-minutes'] !== undefined) throw new UsageError('--wait follows a deployed Fargate task or Batch job: give --cluster ... or --job-queue ...');
    return undefined;
  }
  if (v.function !== undefined && (v.wait || v['wait-minutes'] !== undefined)) {
    throw new UsageError('--wait is for Fargate and Batch: --function already waits for the outcome');
  }
  const waitMinutes = v['wait-minutes'] === undefined ? 60 : Number(v['wait-minutes']);
  if (!Number.isInteger(waitMinutes) || waitMinutes < 1 || waitMinutes > 24 * 60) {
    throw new UsageError(`--wait-minutes ${JSON.stringify(v['wait-minutes'])} must be a whole number from 1 to 1440`);
  }
  const follow = v.wait ? { deadlineMs: waitMinutes * 60_000, pollMs: io.pollMs ?? 10_000, interrupt: io.interrupt } : undefined;
  if (v.function !== undefined) return lambdaProcessor(required(v.function, '--function'), io);
  if (ecs) {
    return fargateProcessor({
      cluster: required(v.cluster, '--cluster'),
      taskDefinition: required(v['task-definition'], '--task-definition'),
      subnets: list(v.subnets, '--subnets'),
      securityGroups: list(v['security-groups'], '--security-groups'),
    }, io, follow);
  }
  return batchProcessor(required(v['job-queue'], '--job-queue'), required(v['job-definition'], '--job-definition'), io, follow);
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is missing: a Fargate task needs --cluster, --task-definition, --subnets and --security-groups; a Batch job --job-queue and --job-definition`);
  return value.trim();
}

function list(value: string | undefined, flag: string): string[] {
  const items = required(value, flag).split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`${flag} ${JSON.stringify(value)} must be ids separated by commas`);
  return items;
}

/** The container command that reprocesses one version (`run ... --force`). */
export function reprocessCommand(p: ReprocessPayload): string[] {
  return ['run', '--bucket', p.bucket, '--key', p.key, ...(p.versionId ? ['--version-id', p.versionId] : []), '--force'];
}

function named(p: ReprocessPayload): Record<string, unknown> {
  return { bucket: p.bucket, key: p.key, ...(p.versionId ? { versionId: p.versionId } : {}) };
}

function lambdaProcessor(functionName: string, io: DeployedIo): DeployedProcessor {
  const client = new LambdaClient({ ...io.aws });
  return {
    async reprocess(p) {
      const response = await client.send(new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify({ reprocess: p })),
      }));
      const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const outcome = body as { status?: unknown; retry?: boolean; errorMessage?: string } | undefined;
      if (response.FunctionError || typeof outcome !== 'object' || outcome === null || typeof outcome.status !== 'string') {
        const error = response.FunctionError
          ? `${functionName} failed (${response.FunctionError}): ${outcome?.errorMessage ?? text}`
          : `${functionName} answered without an outcome: ${text}`;
        return { line: { ...named(p), status: 'failed', error }, exitCode: EXIT.FAILED };
      }
      return { line: outcome, exitCode: exitCodeOf(outcome as { status: 'failed'; retry?: boolean }) };
    },
    close: () => client.destroy(),
  };
}

interface Follow {
  readonly deadlineMs: number;
  readonly pollMs: number;
  readonly interrupt?: AbortSignal;
}

/** Calls `describe` every pollMs until it returns a result, the deadline passes (undefined) or the run is interrupted. */
async function followUntil<T>(follow: Follow, describe: () => Promise<T | undefined>): Promise<T | 'interrupted' | undefined> {
  const giveUpAt = Date.now() + follow.deadlineMs;
  for (;;) {
    const done = await describe();
    if (done !== undefined) return done;
    if (follow.interrupt?.aborted) return 'interrupted';
    if (Date.now() + follow.pollMs > giveUpAt) return undefined;
    await new Promise((resolve) => setTimeout(resolve, follow.pollMs));
  }
}

/** The exit status a finished container's code asks for: the program's own (0, 1, 75), anything else a failure. */
function statusOfExit(code: number | undefined): { status: string; exitCode: number } {
  if (code === EXIT.OK) return { status: 'succeeded', exitCode: EXIT.OK };
  if (code === EXIT.INTERRUPTED) return { status: 'interrupted', exitCode: EXIT.INTERRUPTED };
  return { status: 'failed', exitCode: EXIT.FAILED };
}

function stillRunning(started: Record<string, unknown>, what: string, follow: Follow, interrupted: boolean): DeployedResult {
  // The task or job goes on either way; running the command again would start a second one.
  const status = interrupted ? 'interrupted' : 'running';
  const error = interrupted ? `stopped following ${what}: it goes on` : `${what} was still running after ${follow.deadlineMs / 60_000} minutes: it goes on`;
  return { line: { ...started, status, error }, exitCode: interrupted ? EXIT.INTERRUPTED : EXIT.FAILED };
}

interface FargateTarget {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly subnets: string[];
  readonly securityGroups: string[];
}

function fargateProcessor(target: FargateTarget, io: DeployedIo, follow: Follow | undefined): DeployedProcessor {
  const client = new ECSClient({ ...io.aws });
  return {
    async reprocess(p) {
      const started = await client.send(new RunTaskCommand({
        cluster: target.cluster,
        taskDefinition: target.taskDefinition,
        launchType: 'FARGATE',
        count: 1,
        startedBy: 'cdk-data-pipeline',
        networkConfiguration: { awsvpcConfiguration: { subnets: target.subnets, securityGroups: target.securityGroups, assignPublicIp: 'DISABLED' } },
        overrides: { containerOverrides: [{ name: CONTAINER, command: reprocessCommand(p) }] },
      }));
      const taskArn = started.tasks?.[0]?.taskArn;
      if (!taskArn) {
        const why = started.failures?.map((f) => `${f.arn ?? ''} ${f.reason ?? ''} ${f.detail ?? ''}`.trim()).join('; ') || 'no task and no reason';
        return { line: { ...named(p), status: 'failed', error: `the task did not start: ${why}` }, exitCode: EXIT.FAILED };
      }
      const line = { ...named(p), processor: 'fargate', taskArn };
      if (!follow) return { line: { ...line, status: 'started' }, exitCode: EXIT.OK };
      const stopped = await followUntil(follow, async () => {
        const task = (await client.send(new DescribeTasksCommand({ cluster: target.cluster, tasks: [taskArn] }))).tasks?.[0];
        return task?.lastStatus === 'STOPPED' ? task : undefined;
      });
      if (stopped === undefined || stopped === 'interrupted') return stillRunning(line, `task ${taskArn}`, follow, stopped === 'interrupted');
      const code = stopped.containers?.find((c) => c.name === CONTAINER)?.exitCode;
      const result = statusOfExit(code);
      const details = {
        ...(code !== undefined ? { containerExitCode: code } : {}),
        ...(stopped.stoppedReason ? { stoppedReason: stopped.stoppedReason } : {}),
      };
      return { line: { ...line, status: result.status, ...details }, exitCode: result.exitCode };
    },
    close: () => client.destroy(),
  };
}

/** Batch job names: up to 128 letters, digits, hyphens and underscores. */
function jobNameOf(key: string): string {
  return `reprocess-${key.replace(/[^A-Za-z0-9_-]+/g, '-')}`.slice(0, 128);
}

function batchProcessor(jobQueue: string, jobDefinition: string, io: DeployedIo, follow: Follow | undefined): DeployedProcessor {
  const client = new BatchClient({ ...io.aws });
  return {
    async reprocess(p) {
      const submitted = await client.send(new SubmitJobCommand({
        jobName: jobNameOf(p.key),
        jobQueue,
        jobDefinition,
        containerOverrides: { command: reprocessCommand(p) },
      }));
      const jobId = submitted.jobId!;
      const line = { ...named(p), processor: 'batch', jobId };
      if (!follow) return { line: { ...line, status: 'started' }, exitCode: EXIT.OK };
      const ended = await followUntil(follow, async () => {
        const job = (await client.send(new DescribeJobsCommand({ jobs: [jobId] }))).jobs?.[0];
        return job?.status === 'SUCCEEDED' || job?.status === 'FAILED' ? job : undefined;
      });
      if (ended === undefined || ended === 'interrupted') return stillRunning(line, `job ${jobId}`, follow, ended === 'interrupted');
      const code = ended.container?.exitCode;
      // A job Batch marks SUCCEEDED ran to exit 0 even when the exit code is not reported.
      const result = ended.status === 'SUCCEEDED' ? statusOfExit(EXIT.OK) : statusOfExit(code ?? EXIT.FAILED);
      const details = {
        ...(code !== undefined ? { containerExitCode: code } : {}),
        ...(ended.statusReason ? { statusReason: ended.statusReason } : {}),
      };
      return { line: { ...line, status: result.status, ...details }, exitCode: result.exitCode };
    },
    close: () => client.destroy(),
  };
}
