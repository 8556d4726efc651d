/**
 * `npx ts-node --transpile-only bench/report-bench.ts [--rows 1000000]`
 *
 * Memory and speed of the report sink (src/runtime/report/) over the
 * benchmark's generated CSV (./csv-generator.ts, about 150 bytes a row):
 * the same aggregation over a tenth of the rows and over all of them with
 * few groups (memory must not grow with the rows), then over all rows with
 * thousands of groups (memory grows with the groups). Each case runs in a
 * child process of its own, so its peak RSS (`resourceUsage().maxRSS`) and
 * peak V8 heap (sampled every 10 ms, after a GC before the start) are its
 * alone. Prints one line per case:
 *   report rows=<N> groups=<G> seconds=<s> rows_per_s=<r> heap_before_mb=<h0> peak_heap_mb=<h> rss_before_mb=<r0> peak_rss_mb=<r>
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { generateCsv } from './csv-generator';
import { createReportSink } from '../src/runtime/report';
import type { ReportSinkConfig } from '../src/shared/report-sink-config';

const MEASURES: ReportSinkConfig['measures'] = [
  { kind: 'count' },
  { kind: 'sum', column: 'price' },
  { kind: 'sum', column: 'qty' },
  { kind: 'min', column: 'qty' },
  { kind: 'max', column: 'price' },
  { kind: 'distinctCount', column: 'customer' },
];

interface Case {
  readonly file: string;
  readonly groupBy: string[];
}

const MB = 1024 * 1024;

async function child(c: Case): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const sink = createReportSink({ kind: 'report', groupBy: c.groupBy, measures: MEASURES, badRows: 'FAIL_FILE', maxGroups: 100_000 });
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  let peakHeap = heapBefore;
  const timer = setInterval(() => { peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed); }, 10);
  const started = process.hrtime.bigint();
  const out = await sink.load(undefined, { fileId: 1, bucket: 'bench', key: path.basename(c.file), version: 'v' },
    async () => fs.createReadStream(c.file, { highWaterMark: 256 * 1024 }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const groups = (out.summary as { groups: unknown[] }).groups.length;
  process.stdout.write(JSON.stringify({
    rows: out.rowsLoaded, groups, seconds, heapBefore, peakHeap, rssBefore, maxRss: process.resourceUsage().maxRSS * 1024,
  }));
}

function runCase(c: Case): Record<string, number> {
  const r = spawnSync(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', __filename, '--case', JSON.stringify(c)], {
    encoding: 'utf8', maxBuffer: 16 * MB,
  });
  if (r.status !== 0) throw new Error(`case ${JSON.stringify(c)} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--case');
  if (at >= 0) return child(JSON.parse(process.argv[at + 1]));
  const rowsAt = process.argv.indexOf('--rows');
  const rows = rowsAt >= 0 ? Number(process.argv[rowsAt + 1]) : 1_000_000;
  const dir = path.join(__dirname, 'out');
  fs.mkdirSync(dir, { recursive: true });
  const small = await generateCsv(path.join(dir, `bench-${rows / 10}.csv`), rows / 10);
  const big = await generateCsv(path.join(dir, `bench-${rows}.csv`), rows);
  for (const c of [
    { file: small.path, groupBy: ['active'] },
    { file: big.path, groupBy: ['active'] },
    { file: big.path, groupBy: ['active', 'ship_day'] },
  ]) {
    const m = runCase(c);
    const mb = (n: number) => (n / MB).toFixed(1);
    console.log(`report rows=${m.rows} groups=${m.groups} group_by=${c.groupBy.join('+')} seconds=${m.seconds.toFixed(2)} `
      + `rows_per_s=${Math.round(m.rows / m.seconds)} heap_before_mb=${mb(m.heapBefore)} peak_heap_mb=${mb(m.peakHeap)} `
      + `rss_before_mb=${mb(m.rssBefore)} peak_rss_mb=${mb(m.maxRss)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
