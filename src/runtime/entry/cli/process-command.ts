/** `cdk-data-pipeline process`: the processing core on a local file. */
import * as fs from 'fs';
import { ProcessArgs, UsageError } from './args';
import { ProgressOutput, withProgress } from './progress';
import { ConfigError } from '../../contract/config';
import { silentLogger, stderrLogger } from '../../contract/logger';
import { FileOutcome } from '../../core/outcome';
import { processFile } from '../../core/process-file';
import { createSinks, sinkSchemaStatements } from '../../core/sinks';
import { cachedSettings, Database } from '../../ledger/database';
import { settingsFromUrl } from '../../ledger/db-settings';
import { PostgresLedger } from '../../ledger/postgres-ledger';
import { LocalFileSource } from '../../local/local-source';
import { LocalStorage } from '../../local/local-storage';

export interface CliOutput extends Omit<FileOutcome, 'cause'> {
  readonly file: string;
}

export async function runProcess(args: ProcessArgs, progressOut: ProgressOutput = process.stderr): Promise<CliOutput> {
  const stat = fs.statSync(args.file, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`File not found: ${args.file}`);
  if (!stat.isFile()) throw new UsageError(`Not a file: ${args.file}`);

  let settings;
  try {
    settings = settingsFromUrl({ url: args.databaseUrl, sslMode: args.sslMode, caFile: args.caFile });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const log = args.verbose ? stderrLogger : silentLogger;
  const database = new Database(cachedSettings(async () => settings), { log, schemaStatements: sinkSchemaStatements(args.sinks) });
  // A long run on a terminal shows how far it is (stderr; stdout keeps the one JSON result).
  const progress = withProgress(new LocalFileSource(args.file), progressOut);
  try {
    const { cause: _cause, ...outcome } = await processFile(progress.source, {
      ledger: new PostgresLedger(database, log),
      storage: new LocalStorage(args.outputDir),
      sinks: createSinks(args.sinks),
      pipelineName: 'local',
      log,
      retryInputErrors: true,
      force: args.force,
      ...(args.checkpointEvery !== undefined ? { checkpointEvery: args.checkpointEvery } : {}),
    });
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
