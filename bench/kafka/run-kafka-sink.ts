/**
 * One Kafka sink load in its own process, for the bench (bundled by
 * esbuild, so it runs the production code as the processor does): reads
 * the CSV file given in argv[2] and sends it with the sink configuration of
 * argv[3] (JSON). Prints one JSON line: {"rows", "ms", "maxRssMb"}.
 */
import * as fs from 'fs';
import { createKafkaSink } from '../../src/runtime/kafka';
import type { KafkaSinkConfig } from '../../src/shared/kafka-sink-config';

async function main(): Promise<void> {
  const [file, json] = process.argv.slice(2);
  const sink = createKafkaSink(JSON.parse(json) as KafkaSinkConfig, { metrics: { write: () => undefined } });
  const started = performance.now();
  const out = await sink.load(undefined, { fileId: 1, bucket: 'bench', key: 'orders.csv', version: String(Date.now()) },
    async () => fs.createReadStream(file, { highWaterMark: 1024 * 1024 }));
  const ms = performance.now() - started;
  await sink.close();
  process.stdout.write(JSON.stringify({ rows: out.rowsLoaded, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
