/**
 * `cdk-data-pipeline run`: the container processors' entry point. Reads the
 * same environment as the Lambda (src/shared/env.ts, through createRuntime),
 * and processes one S3 object (`--key`) or every object under a prefix
 * (`--prefix`, `{date}` replaced; ../../core/prefix-run.ts, which also
 * writes the run's report to `reports/` of the output bucket).
 * stdout carries one JSON line per file, then a summary line for a prefix;
 * logs and the metrics (CloudWatch Embedded Metric Format) go to stderr.
 */
import { RunArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { S3Source } from '../../aws/s3-source';
import { ConfigError, readSinkConfigs, sinkConfigSource } from '../../contract/config';
import { jsonLogger } from '../../contract/logger';
import { FileOutcome, publicOutcome } from '../../core/outcome';
import { runPrefix } from '../../core/prefix-run';
import { processFile, ProcessDeps } from '../../core/process-file';
import { RunCounts } from '../../core/run-report';
import { processPart } from '../../load/parts/process-part';
import { splitTableSink } from '../../load/parts/split-sink';
import { createRuntime, Runtime, RuntimeOptions } from '../lambda-runtime';
import { s3PrefixAccess } from '../s3-listing';

export interface RunIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Record<string, string | undefined>;
  /** Fires on SIGTERM/SIGINT (./signals.ts). */
  readonly interrupt?: AbortSignal;
  /** Test hook: AWS client settings (the process itself uses the SDK's environment variables). */
  readonly aws?: RuntimeOptions['aws'];
}

/** The exit status one file's outcome asks for. */
export function exitCodeOf(o: Pick<FileOutcome, 'status' | 'retry'>): number {
  if (o.status === 'interrupted' || (o.status === 'in-progress' && o.retry)) return EXIT.INTERRUPTED;
  if (o.status === 'failed') return EXIT.FAILED;
  return EXIT.OK;
}

/** The last stdout line of a prefix run: `{"summary": ...}`, the report's counts flat. */
export interface RunSummary extends RunCounts {
  readonly bucket: string;
  readonly prefix: string;
  readonly date?: string;
  readonly suffix: string;
  readonly exitCode: number;
  /** Where the run's report was written (`s3://<output bucket>/reports/...`). */
  readonly report?: string;
  /** Set when the objects could not be listed, or the report not written. */
  readonly error?: string;
}

/** What processFile is given for each file of this run: the runtime, with --force, --checkpoint-every and the signal. */
export function runDeps(runtime: Runtime, args: RunArgs, interrupt?: AbortSignal): ProcessDeps {
  const checkpointEvery = args.checkpointEvery ?? runtime.checkpointEvery;
  return {
    ...runtime,
    force: args.force,
    interrupt,
    ...(checkpointEvery !== undefined ? { checkpointEvery } : {}),
  };
}

/**
 * The processor's runtime from the environment, as the container builds it,
 * logs and metrics on stderr; a configuration error is a usage error.
 */
export function cliRuntime(io: RunIo): Runtime {
  const log = jsonLogger((line) => io.stderr(line + '\n'));
  return asUsage(() => createRuntime({ env: io.env, log, writeMetric: (line) => io.stderr(line + '\n'), aws: io.aws }));
}

function asUsage<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export async function runRun(args: RunArgs, io: RunIo): Promise<number> {
  const runtime = cliRuntime(io);
  try {
    const own = runtime.ownOutputs?.find((o) => o.bucket === args.bucket && args.target.kind === 'object' && args.target.key.startsWith(o.prefix));
    if (own) throw new UsageError(`--key ${args.target.kind === 'object' ? args.target.key : ''} is under ${own.prefix} of the pipeline's own output bucket: the pipeline never processes what it wrote`);
    if (args.target.kind === 'object') return exitCodeOf(await processOne(runtime, args, io, args.target));
    return await runPrefixCommand(runtime, args, io, args.target);
  } finally {
    await runtime.close();
  }
}

async function processOne(runtime: Runtime, args: RunArgs, io: RunIo, target: RunArgs['target'] & { kind: 'object' }): Promise<FileOutcome> {
  const { key, versionId, sequencer } = target;
  const source = new S3Source(runtime.s3, { bucket: args.bucket, key, ...(versionId ? { versionId } : {}), ...(sequencer ? { sequencer } : {}) });
  if (args.part) {
    // An array job child (or --part): its part, and the file when it is the last part to finish.
    const table = asUsage(() => splitTableSink(readSinkConfigs(io.env), sinkConfigSource(io.env)));
    const { part, waitingFor, status, ...rest } = await processPart(source, args.part, table, runDeps(runtime, args, io.interrupt))
      .catch((err: unknown) => asUsage(() => { throw err; }));
    const outcome: FileOutcome = { ...rest, status: status === 'part-loaded' ? 'succeeded' : status };
    io.stdout(JSON.stringify({ ...publicOutcome(outcome), status, part, ...(waitingFor ? { waitingFor } : {}) }) + '\n');
    return outcome;
  }
  const outcome = await processFile(source, runDeps(runtime, args, io.interrupt));
  io.stdout(JSON.stringify(publicOutcome(outcome)) + '\n');
  return outcome;
}

async function runPrefixCommand(runtime: Runtime, args: RunArgs, io: RunIo, target: RunArgs['target'] & { kind: 'prefix' }): Promise<number> {
  const { report, reportLocation, reportError, outcomes } = await runPrefix(
    { bucket: args.bucket, prefix: target.prefix, date: target.date, suffix: target.suffix, runTime: target.runTime },
    {
      ...runDeps(runtime, args, io.interrupt),
      ...s3PrefixAccess(runtime.s3, runtime.ownOutputs),
      onFile: (o) => io.stdout(JSON.stringify(publicOutcome(o)) + '\n'),
    },
  );
  let exitCode: number = outcomes.reduce<number>((code, o) => worse(code, exitCodeOf(o)), EXIT.OK);
  if (report.stoppedBecause !== undefined) exitCode = EXIT.INTERRUPTED;
  else if (report.error !== undefined || reportError !== undefined) exitCode = worse(exitCode, EXIT.FAILED);
  const error = [report.error, reportError].filter((e) => e !== undefined).join('; ');
  const summary: RunSummary = {
    bucket: report.bucket,
    prefix: report.prefix,
    ...(report.date !== undefined ? { date: report.date } : {}),
    suffix: report.suffix,
    ...report.counts,
    exitCode,
    ...(reportLocation !== undefined ? { report: reportLocation } : {}),
    ...(error ? { error } : {}),
  };
  io.stdout(JSON.stringify({ summary }) + '\n');
  return exitCode;
}

/** 75 (run again: the retry does the rest) over 1 (a file failed) over 0. */
function worse(a: number, b: number): number {
  const rank = (c: number) => (c === EXIT.INTERRUPTED ? 2 : c === EXIT.FAILED ? 1 : 0);
  return rank(b) > rank(a) ? b : a;
}
