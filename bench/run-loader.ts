/**
 * Child process of the benchmark: loads one file with the production sink
 * and reports its own timing and peak RSS, so the figure is the loader's,
 * not the benchmark driver's. Bundled by esbuild before it runs.
 *
 * argv: <database-url> <csv-path> <file-id> <config-json> [<segment-bytes>]
 * (segment bytes of a parallel load, when the config sets `parallelism`)
 */
import * as fs from 'fs';
import { Client } from 'pg';
import { createPostgresTableSink } from '../src/runtime/load';
import type { PoolClient } from 'pg';
import type { PostgresTableSinkConfig } from '../src/shared/sink-config';

async function main(): Promise<void> {
  const [url, csvPath, fileId, configJson, segmentBytes] = process.argv.slice(2);
  const config = JSON.parse(configJson) as PostgresTableSinkConfig;
  const sink = createPostgresTableSink(config, segmentBytes ? { parallel: { segmentBytes: Number(segmentBytes) } } : {});
  // Where the memory goes, sampled, to explain the peak RSS.
  const peak = { heapTotal: 0, external: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  }, 200);
  const started = process.hrtime.bigint();
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  const outcome = await sink.load(client as unknown as PoolClient, { fileId: Number(fileId), bucket: 'bench', key: csvPath, version: '1' },
    async () => fs.createReadStream(csvPath));
  await client.query('COMMIT');
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await client.end();
  clearInterval(sampler);
  process.stdout.write(`${JSON.stringify({
    rowsLoaded: outcome.rowsLoaded,
    rowsRejected: outcome.rowsRejected,
    rejectsBytes: outcome.rejectsCsv?.length ?? 0,
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapTotalMb: peak.heapTotal / 2 ** 20,
    peakExternalMb: peak.external / 2 ** 20,
    peakArrayBuffersMb: peak.arrayBuffers / 2 ** 20,
  })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
