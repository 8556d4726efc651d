/**
 * Child process of the crash-window tests (bundled by esbuild, as
 * bench/run-loader.ts is): loads one file through the table sink in a
 * transaction of its own, as the processor's claim transaction does, and
 * can stop at a step of the parallel load, or just before or after its
 * COMMIT, printing `PAUSED <step>` and waiting there to be killed.
 *
 * argv: <database-url> <csv-path> <file-id> <config-json> <earlier-file-ids-json> [<pause-at>]
 * env: SNAPSHOT_WAIT_MS (the parallel load's snapshotWaitMs); warnings go to stderr as JSON.
 */
import * as fs from 'fs';
import { Client } from 'pg';
import type { PoolClient } from 'pg';
import { createPostgresTableSink } from '../../../src/runtime/load';
import type { PostgresTableSinkConfig } from '../../../src/shared/sink-config';

async function pauseIf(step: string, pauseAt: string | undefined): Promise<void> {
  if (step !== pauseAt) return;
  process.stdout.write(`PAUSED ${step}\n`);
  await new Promise(() => setInterval(() => undefined, 1000));
}

async function main(): Promise<void> {
  const [url, csvPath, fileId, configJson, earlierJson, pauseAt] = process.argv.slice(2);
  const config = JSON.parse(configJson) as PostgresTableSinkConfig;
  const log = {
    info: () => undefined,
    error: () => undefined,
    warn: (message: string, fields?: Record<string, unknown>) => { process.stderr.write(`${JSON.stringify({ message, ...fields })}\n`); },
  };
  const snapshotWaitMs = process.env.SNAPSHOT_WAIT_MS ? Number(process.env.SNAPSHOT_WAIT_MS) : undefined;
  const sink = createPostgresTableSink(config, {
    parallel: { segmentBytes: 256 * 1024, snapshotWaitMs, log, onStep: (step) => pauseIf(step, pauseAt) },
  });
  const client = new Client({ connectionString: url, application_name: 'parallel-test-claim' });
  await client.connect();
  await client.query('BEGIN');
  const outcome = await sink.load(client as unknown as PoolClient, {
    fileId: Number(fileId), bucket: 'b', key: 'orders.csv', version: `v${fileId}`, earlierFileIds: JSON.parse(earlierJson) as number[],
  }, async () => fs.createReadStream(csvPath));
  await pauseIf('before-commit', pauseAt);
  await client.query('COMMIT');
  await pauseIf('after-commit', pauseAt);
  await client.end();
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
