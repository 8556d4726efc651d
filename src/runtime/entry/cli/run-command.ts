/**
 * `cdk-data-pipeline run`: the container processors' entry point. Reads the
 * same environment as the Lambda (src/shared/env.ts, through createRuntime),
 * and processes one S3 object (`--key`) or every object under a prefix
 * (`--prefix`, `{date}` replaced) with processFile, one after the other.
 * stdout carries one JSON line per file, then a summary line for a prefix;
 * logs and the metrics (CloudWatch Embedded Metric Format) go to stderr.
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { RunArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { S3Source } from '../../aws/s3-source';
import { ConfigError } from '../../contract/config';
import { errorMessage, jsonLogger } from '../../contract/logger';
import { FileOutcome, publicOutcome } from '../../core/outcome';
import { processFile } from '../../core/process-file';
import { createRuntime, Runtime, RuntimeOptions } from '../lambda-runtime';

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

export interface RunSummary {
  readonly bucket: string;
  readonly prefix: string;
  readonly date?: string;
  readonly suffix: string;
  /** Objects listed under the prefix that end with the suffix. */
  readonly files: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly duplicate: number;
  readonly interrupted: number;
  /** In progress elsewhere, superseded or deleted: nothing changed. */
  readonly skipped: number;
  /** Listed but not started because the run was interrupted. */
  readonly notStarted: number;
  /** Rows loaded (or counted) by the files that succeeded in this run. */
  readonly rows: number;
  readonly rowsRejected: number;
  readonly exitCode: number;
  /** Set when the objects could not be listed. */
  readonly error?: string;
}

export async function runRun(args: RunArgs, io: RunIo): Promise<number> {
  const log = jsonLogger((line) => io.stderr(line + '\n'));
  let runtime: Runtime;
  try {
    runtime = createRuntime({ env: io.env, log, writeMetric: (line) => io.stderr(line + '\n'), aws: io.aws });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  try {
    const own = runtime.ownOutputs?.find((o) => o.bucket === args.bucket && args.target.kind === 'object' && args.target.key.startsWith(o.prefix));
    if (own) throw new UsageError(`--key ${args.target.kind === 'object' ? args.target.key : ''} is under ${own.prefix} of the pipeline's own output bucket: the pipeline never processes what it wrote`);
    const one = (key: string, versionId?: string) => processOne(runtime, args, io, key, versionId);
    if (args.target.kind === 'object') return exitCodeOf(await one(args.target.key, args.target.versionId));
    return await runPrefix(runtime, args, io, args.target, one);
  } finally {
    await runtime.close();
  }
}

async function processOne(runtime: Runtime, args: RunArgs, io: RunIo, key: string, versionId?: string): Promise<FileOutcome> {
  const outcome = await processFile(new S3Source(runtime.s3, { bucket: args.bucket, key, ...(versionId ? { versionId } : {}) }), {
    ...runtime,
    force: args.force,
    interrupt: io.interrupt,
  });
  io.stdout(JSON.stringify(publicOutcome(outcome)) + '\n');
  return outcome;
}

async function runPrefix(
  runtime: Runtime, args: RunArgs, io: RunIo, target: RunArgs['target'] & { kind: 'prefix' }, one: (key: string) => Promise<FileOutcome>,
): Promise<number> {
  const counts = { succeeded: 0, failed: 0, duplicate: 0, interrupted: 0, skipped: 0, notStarted: 0, rows: 0, rowsRejected: 0 };
  const base = { bucket: args.bucket, prefix: target.prefix, ...(target.date ? { date: target.date } : {}), suffix: target.suffix };
  let keys: string[];
  try {
    keys = await listKeys(runtime.s3, args.bucket, target.prefix, io.interrupt);
  } catch (err) {
    const error = `cannot list s3://${args.bucket}/${target.prefix}: ${errorMessage(err)}`;
    const interrupted = io.interrupt?.aborted === true;
    const exitCode = interrupted ? EXIT.INTERRUPTED : EXIT.FAILED;
    io.stdout(JSON.stringify({ summary: { ...base, files: 0, ...counts, exitCode, error } satisfies RunSummary }) + '\n');
    return exitCode;
  }
  const selected = keys.filter((k) => k.endsWith(target.suffix) && !k.endsWith('/')
    && !runtime.ownOutputs?.some((o) => o.bucket === args.bucket && k.startsWith(o.prefix)));
  runtime.log.info('objects to process', { bucket: args.bucket, prefix: target.prefix, suffix: target.suffix, listed: keys.length, selected: selected.length });
  let exitCode: number = EXIT.OK;
  for (const [i, key] of selected.entries()) {
    if (io.interrupt?.aborted) {
      counts.notStarted = selected.length - i;
      break;
    }
    const o = await one(key);
    if (o.status === 'succeeded') {
      counts.succeeded++;
      counts.rows += o.rows ?? 0;
      counts.rowsRejected += o.rowsRejected ?? 0;
    } else if (o.status === 'failed' || o.status === 'duplicate' || o.status === 'interrupted') {
      counts[o.status]++;
    } else {
      counts.skipped++;
    }
    exitCode = worse(exitCode, exitCodeOf(o));
  }
  if (counts.notStarted > 0) exitCode = EXIT.INTERRUPTED;
  io.stdout(JSON.stringify({ summary: { ...base, files: selected.length, ...counts, exitCode } satisfies RunSummary }) + '\n');
  return exitCode;
}

/** 75 (run again: the retry does the rest) over 1 (a file failed) over 0. */
function worse(a: number, b: number): number {
  const rank = (c: number) => (c === EXIT.INTERRUPTED ? 2 : c === EXIT.FAILED ? 1 : 0);
  return rank(b) > rank(a) ? b : a;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string, interrupt?: AbortSignal): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: interrupt });
    keys.push(...(page.Contents ?? []).map((o) => o.Key!).filter((k) => k !== undefined));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}
