/**
 * Child process of the checkpoint benchmark: processes one local file with
 * the production processFile (claim, load, backup, result), in one
 * transaction (every = 0) or in checkpointed chunks, and reports its timing.
 * Bundled by esbuild before it runs.
 *
 * argv: <database-url> <csv-path> <config-json> <checkpoint-every> <output-dir>
 */
import { silentLogger } from '../src/runtime/contract/logger';
import { processFile } from '../src/runtime/core/process-file';
import { createSinks, sinkSchemaStatements } from '../src/runtime/core/sinks';
import { cachedSettings, Database } from '../src/runtime/ledger/database';
import { settingsFromUrl } from '../src/runtime/ledger/db-settings';
import { PostgresLedger } from '../src/runtime/ledger/postgres-ledger';
import { LocalFileSource } from '../src/runtime/local/local-source';
import { LocalStorage } from '../src/runtime/local/local-storage';
import type { SinkConfig } from '../src/shared/sink-config';

async function main(): Promise<void> {
  const [url, csvPath, configJson, every, outDir] = process.argv.slice(2);
  const sinks = [JSON.parse(configJson) as SinkConfig];
  const settings = settingsFromUrl({ url, sslMode: 'disable' });
  const database = new Database(cachedSettings(async () => settings), { log: silentLogger, schemaStatements: sinkSchemaStatements(sinks) });
  const started = process.hrtime.bigint();
  try {
    const outcome = await processFile(new LocalFileSource(csvPath), {
      ledger: new PostgresLedger(database, silentLogger), storage: new LocalStorage(outDir), sinks: createSinks(sinks), pipelineName: 'bench', log: silentLogger,
      force: true, checkpointEvery: Number(every),
    });
    if (outcome.status !== 'succeeded') throw new Error(`${outcome.status}: ${outcome.error ?? outcome.reason}`);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(`${JSON.stringify({ rows: outcome.rows, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
  } finally {
    await database.end();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
