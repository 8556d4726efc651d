/**
 * `npm run bench:kafka -- [--rows N] [--reps R] [--brokers host:port]`
 *
 * Rows per second of a generated CSV (1M rows by default, bench/csv-generator.ts)
 * sent to a real Kafka broker on loopback: a throwaway single-node Kafka 4.1
 * (the tests' broker, test/support/kafka-broker.ts) unless --brokers is
 * given. In the same run, R times each, alternately:
 * - our sink, exactly once (transactions of 10,000 rows with their
 *   checkpoint), in a child process running an esbuild bundle of the
 *   production code (bench/kafka/run-kafka-sink.ts), timed from the first
 *   connection to the last commit; its peak RSS is the child's maxRSS;
 * - our sink, at least once;
 * - the seed's producer (bench/kafka/seed_producer.py: kafka-python with the
 *   seed's settings, each row's send awaited), which needs `pip install
 *   kafka-python` (done here when it is missing).
 * Each run sends to a topic of its own (1 partition, like the seed's
 * partition 0), and its message count is checked. The last line is
 *   kafka rows=<N> rows_per_s=<ours, exactly once> ratio_vs_seed=<x> peak_rss_mb=<m>
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildSync } from 'esbuild';
import { Kafka, logLevel } from 'kafkajs';
import { generateCsv } from './csv-generator';
import { startKafkaBroker } from '../test/support/kafka-broker';

const OUT_DIR = path.join(__dirname, 'out');

interface Args { rows: number; reps: number; brokers?: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { rows: 1_000_000, reps: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rows') args.rows = Number(argv[++i]);
    else if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--brokers') args.brokers = argv[++i];
    else throw new Error(`unknown argument ${a}; usage: [--rows N] [--reps R] [--brokers host:port]`);
  }
  if (!(args.rows > 0) || !(args.reps > 0)) throw new Error('--rows and --reps must be positive numbers');
  return args;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`))));
  });
}

function ensureKafkaPython(): void {
  try {
    execFileSync('python3', ['-c', 'import kafka'], { stdio: 'pipe' });
  } catch {
    process.stderr.write('installing kafka-python for the seed\'s producer (pip install kafka-python)\n');
    execFileSync('python3', ['-m', 'pip', 'install', '--quiet', 'kafka-python'], { stdio: 'inherit' });
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(OUT_DIR, { recursive: true });
  ensureKafkaPython();
  const csv = await generateCsv(path.join(OUT_DIR, `kafka-${args.rows}.csv`), args.rows);
  const started = args.brokers ? undefined : await startKafkaBroker();
  const brokers = args.brokers ?? started!.brokers.plaintext;
  const runner = path.join(OUT_DIR, 'run-kafka-sink.js');
  buildSync({ entryPoints: [path.join(__dirname, 'kafka', 'run-kafka-sink.ts')], bundle: true, platform: 'node', target: 'node20', outfile: runner, logLevel: 'silent' });
  const admin = new Kafka({ clientId: 'bench', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  let n = 0;
  const topic = async (name: string) => {
    const t = `bench-${name}-${process.pid}-${n++}`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: t, numPartitions: 1 }] });
    return t;
  };
  const count = async (t: string) => Number((await admin.fetchTopicOffsets(t))[0].high);
  const rates: Record<'eos' | 'alo' | 'seed', number[]> = { eos: [], alo: [], seed: [] };
  let peakRss = 0;
  try {
    for (let rep = 1; rep <= args.reps; rep++) {
      for (const mode of ['eos', 'alo'] as const) {
        const t = await topic(mode);
        const config = { kind: 'kafka', topic: t, brokers: [brokers], auth: { mechanism: 'plaintext' }, key: { fileAndLine: true }, exactlyOnce: mode === 'eos' };
        const out = JSON.parse((await run(process.execPath, [runner, csv.path, JSON.stringify(config)])).trim().split('\n').pop()!);
        if (out.rows !== csv.rows) throw new Error(`${mode}: the sink loaded ${out.rows} rows, expected ${csv.rows}`);
        // Exactly once: the rows, one checkpoint record and a marker per transaction are in the log.
        if ((await count(t)) < csv.rows) throw new Error(`${mode}: ${await count(t)} messages in ${t}, expected at least ${csv.rows}`);
        const rate = csv.rows / (out.ms / 1000);
        rates[mode].push(rate);
        if (mode === 'eos') peakRss = Math.max(peakRss, out.maxRssMb);
        console.log(`rep ${rep} ours ${mode === 'eos' ? 'exactly once' : 'at least once'}: ${Math.round(rate)} rows/s (${(out.ms / 1000).toFixed(1)} s, peak RSS ${out.maxRssMb.toFixed(1)} MB)`);
      }
      const t = await topic('seed');
      const seed = JSON.parse((await run('python3', [path.join(__dirname, 'kafka', 'seed_producer.py'), brokers, t, csv.path])).trim().split('\n').pop()!);
      if (seed.rows !== csv.rows || (await count(t)) !== csv.rows) throw new Error(`seed: sent ${seed.rows} rows, ${await count(t)} in ${t}, expected ${csv.rows}`);
      const rate = csv.rows / seed.seconds;
      rates.seed.push(rate);
      console.log(`rep ${rep} seed (kafka-python, each send awaited): ${Math.round(rate)} rows/s (${seed.seconds.toFixed(1)} s, peak RSS ${seed.max_rss_mb.toFixed(1)} MB)`);
    }
  } finally {
    await admin.disconnect();
    await started?.stop();
    if (started) fs.rmSync(started.dir, { recursive: true, force: true });
  }
  const ours = median(rates.eos);
  console.log(`kafka-alo rows=${csv.rows} rows_per_s=${Math.round(median(rates.alo))} ratio_vs_seed=${(median(rates.alo) / median(rates.seed)).toFixed(2)}`);
  console.log(`kafka rows=${csv.rows} rows_per_s=${Math.round(ours)} ratio_vs_seed=${(ours / median(rates.seed)).toFixed(2)} peak_rss_mb=${peakRss.toFixed(1)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
