/**
 * `cdk-data-pipeline reprocess`: processes again, on purpose, one file
 * version or every version that failed since a time, so the rows a version
 * loaded are replaced, never doubled. Either here, with the processor's
 * environment (as `run`: the same ledger, sinks, buckets and topic), or
 * through the deployed processor (./deployed-processor.ts). The failed
 * versions come from the ledger (`status --status failed`).
 */
import { parseArgs } from 'util';
import { UsageError } from './args';
import { DEPLOYED_OPTIONS, DEPLOYED_USAGE, DeployedProcessor, deployedProcessor } from './deployed-processor';
import { EXIT } from './exit-codes';
import { LEDGER_OPTIONS, LEDGER_USAGE, listDynamoDbLedger, listLedgerFiles } from './ledger-source';
import { cliRuntime, exitCodeOf, RunIo } from './run-command';
import { parseSince } from './status-command';
import { ENV } from '../../../shared/env';
import { FileFilter, FileListing, listFilesInPostgres } from '../../ledger/file-listing';
import { Runtime } from '../lambda-runtime';
import { handleReprocess, ReprocessPayload } from '../reprocess';

export const REPROCESS_USAGE = `Usage: cdk-data-pipeline reprocess (--bucket B --key K [--version-id V] | --failed [filters]) [processor]

Processes file versions again even though they reached an outcome, as
"run --force" does: the rows a version loaded are replaced, never doubled.
Here, with the processor's environment (the variables the container and the
Lambda get: ${ENV.OUTPUT_BUCKET}, ${ENV.DB_SECRET_ARN} or ${ENV.DATABASE_URL}
or ${ENV.LEDGER_TABLE}, ${ENV.SINKS}, ...), or through the deployed processor.
Prints one JSON line per version.

Options:
  --bucket <bucket>      One object of this bucket...
  --key <key>            ...this key
  --version-id <id>      ...this version (default: the current one)
  --failed               Every version the ledger records as failed
  --since <age|time>     With --failed: failed since, e.g. 24h, 7d or an ISO 8601 time (default 24h)
  --key-prefix <prefix>  With --failed: only keys starting with it
  --limit <n>            With --failed: at most n versions, the most recent (default 100)
  -h, --help             Show this help

${DEPLOYED_USAGE}

Ledger of --failed through the deployed processor (one of; here the processor's environment's):
${LEDGER_USAGE}

Exit status: 0 every version succeeded (or, without --wait, its task or job
started), 1 one failed again, 2 usage error, 75 interrupted: run the same
command again.
`;

const OPTIONS = {
  'bucket': { type: 'string' },
  'key': { type: 'string' },
  'version-id': { type: 'string' },
  'failed': { type: 'boolean' },
  'since': { type: 'string' },
  'key-prefix': { type: 'string' },
  'limit': { type: 'string' },
  'help': { type: 'boolean', short: 'h' },
  ...DEPLOYED_OPTIONS,
  ...LEDGER_OPTIONS,
} as const;

/** Test hooks: the clock, how often `--wait` polls, and the deployed processor's AWS settings (else `aws`). */
export interface ReprocessIo extends RunIo {
  readonly now?: () => Date;
  readonly pollMs?: number;
  readonly processorAws?: RunIo['aws'];
}

export async function runReprocess(argv: readonly string[], io: ReprocessIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('. ')[0]);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(REPROCESS_USAGE);
    return EXIT.OK;
  }
  const one = v.bucket !== undefined || v.key !== undefined || v['version-id'] !== undefined;
  if (one === !!v.failed) throw new UsageError('give one version (--bucket and --key) or --failed, not both and not neither');
  if (one && (!v.bucket || !v.key)) throw new UsageError('--bucket and --key together name the object to reprocess');
  if (one && (v.since || v['key-prefix'] || v.limit)) throw new UsageError('--since, --key-prefix and --limit go with --failed');
  const limit = v.limit === undefined ? 100 : Number(v.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError(`--limit ${JSON.stringify(v.limit)} must be a whole number from 1 to 10000`);

  const filter: FileFilter | undefined = one ? undefined : {
    status: 'failed',
    since: parseSince(v.since ?? '24h', (io.now ?? (() => new Date()))()),
    ...(v['key-prefix'] ? { keyPrefix: v['key-prefix'] } : {}),
    limit,
  };
  const single: ReprocessPayload | undefined = one ? { bucket: v.bucket!, key: v.key!, ...(v['version-id'] ? { versionId: v['version-id'] } : {}) } : undefined;
  const deployed = deployedProcessor(v, { ...io, aws: io.processorAws ?? io.aws });
  if (deployed) return reprocessEach(deployed, single ? [single] : (await listLedgerFiles(v, filter!, io)).map(payloadOf), io);
  const ledgerFlag = Object.keys(LEDGER_OPTIONS).find((flag) => v[flag as keyof typeof LEDGER_OPTIONS] !== undefined);
  if (ledgerFlag) throw new UsageError(`--${ledgerFlag} goes with a deployed processor (--function, --cluster or --job-queue): here the ledger is the processor environment's`);

  const runtime = cliRuntime(io);
  let targets: ReprocessPayload[];
  try {
    targets = single ? [single] : (await failedVersions(runtime, io, filter!)).map(payloadOf);
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return reprocessEach(localProcessor(runtime, io), targets, io);
}

/** Reprocesses here, with the processor's environment: the outcome is the line. */
function localProcessor(runtime: Runtime, io: RunIo): DeployedProcessor {
  return {
    async reprocess(target) {
      const outcome = await handleReprocess({ reprocess: target }, { ...runtime, interrupt: io.interrupt });
      return { line: outcome, exitCode: exitCodeOf(outcome) };
    },
    close: () => runtime.close(),
  };
}

/** Each version sent to the processor in turn, one JSON line each. */
async function reprocessEach(processor: DeployedProcessor, targets: ReprocessPayload[], io: RunIo): Promise<number> {
  try {
    let code: number = EXIT.OK;
    for (const target of targets) {
      if (io.interrupt?.aborted) return EXIT.INTERRUPTED;
      const result = await processor.reprocess(target);
      io.stdout(JSON.stringify(result.line) + '\n');
      code = Math.max(code, result.exitCode);
    }
    return code;
  } finally {
    await processor.close();
  }
}

/** A listed version as the reprocess payload: its S3 version id, or the current object when the bucket is not versioned. */
function payloadOf(f: FileListing): ReprocessPayload {
  return { bucket: f.bucket, key: f.key, ...(f.versionKind === 'version-id' ? { versionId: f.version } : {}) };
}

async function failedVersions(runtime: Runtime, io: RunIo, filter: FileFilter): Promise<FileListing[]> {
  const table = io.env[ENV.LEDGER_TABLE];
  if (table) return listDynamoDbLedger(table, filter, io);
  const client = await runtime.database!.connect();
  try {
    return await listFilesInPostgres(client, filter);
  } finally {
    client.release();
  }
}
