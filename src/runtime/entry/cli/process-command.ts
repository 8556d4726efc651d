/** `cdk-data-pipeline process`: the processing core on a local file. */
import * as fs from 'fs';
import { ProcessArgs, UsageError } from './args';
import { ProgressOutput, withProgress } from './progress';
import { ConfigError } from '../../contract/config';
import { silentLogger, stderrLogger } from '../../contract/logger';
import { FileOutcome } from '../../core/outcome';
import { processFile, ProcessDeps } from '../../core/process-file';
import { createSinks, sinkSchemaStatements } from '../../core/sinks';
import { cachedSettings, Database } from '../../ledger/database';
import { settingsFromUrl } from '../../ledger/db-settings';
import { PostgresLedger } from '../../ledger/postgres-ledger';
import { processPart, PartOutcome } from '../../load/parts/process-part';
import { partitionedForParts, splitTableSink } from '../../load/parts/split-sink';
import { LocalFileSource } from '../../local/local-source';
import { LocalStorage } from '../../local/local-storage';

export interface CliOutput extends Omit<FileOutcome, 'cause' | 'status'> {
  readonly file: string;
  /** `part-loaded`: with --part, this part is in and others are still to come. */
  readonly status: FileOutcome['status'] | PartOutcome['status'];
  readonly part?: PartOutcome['part'];
}

export async function runProcess(args: ProcessArgs, progressOut: ProgressOutput = process.stderr): Promise<CliOutput> {
  const stat = fs.statSync(args.file, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`File not found: ${args.file}`);
  if (!stat.isFile()) throw new UsageError(`Not a file: ${args.file}`);

  const settings = usage(() => settingsFromUrl({ url: args.databaseUrl, sslMode: args.sslMode, caFile: args.caFile }));
  const log = args.verbose ? stderrLogger : silentLogger;
  const table = args.part ? usage(() => splitTableSink(args.sinks, '--config/--table')) : undefined;
  const sinks = args.part ? partitionedForParts(args.sinks) : args.sinks;
  const database = new Database(cachedSettings(async () => settings), { log, schemaStatements: sinkSchemaStatements(sinks) });
  // A long run on a terminal shows how far it is (stderr; stdout keeps the one JSON result).
  const progress = withProgress(new LocalFileSource(args.file), progressOut);
  try {
    const deps: ProcessDeps = {
      ledger: new PostgresLedger(database, log),
      storage: new LocalStorage(args.outputDir),
      sinks: createSinks(sinks),
      pipelineName: 'local',
      log,
      retryInputErrors: true,
      force: args.force,
      ...(args.checkpointEvery !== undefined ? { checkpointEvery: args.checkpointEvery } : {}),
    };
    const { cause: _cause, ...outcome } = args.part && table
      ? await usage(() => processPart(progress.source, args.part!, table, deps))
      : await processFile(progress.source, deps);
    const { status, reason, ...rest } = outcome;
    const explained = status === 'duplicate'
      ? `${reason}; file_metadata records a file by its content (SHA-256) whatever the table or options, so it is not processed again: run with --force to process it anyway`
      : reason;
    return { status, file: args.file, ...rest, ...(explained ? { reason: explained } : {}) };
  } finally {
    progress.stop();
    await database.end();
  }
}

/** A configuration error (a sink or a table that cannot take parts) as a usage error. */
function usage<T>(run: () => T): T {
  try {
    const result = run();
    if (result instanceof Promise) return result.catch(rethrow) as T;
    return result;
  } catch (err) {
    return rethrow(err);
  }
}

function rethrow(err: unknown): never {
  if (err instanceof ConfigError) throw new UsageError(err.message);
  throw err;
}
