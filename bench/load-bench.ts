/**
 * `npm run bench -- --rows N --reps R [--database-url URL] [--no-skip]`
 *
 * Loads a generated CSV with `psql \copy` and with our loader, alternately,
 * R times each into the same table (truncated between runs; psql gets the
 * same `_file_id` default and does the same set_config + DELETE in its
 * transaction), and compares median rows per second. Each rep also loads
 * a file with 1% bad rows with SKIP_AND_REPORT right after psql's run (with
 * `--parallelism N` through N connections, then through one into psql's
 * table), compared with the psql median and paired with each rep's psql.
 * The loader runs in its own process (an esbuild bundle of the production
 * code) so its peak RSS is measured alone. The last line is:
 *   load rows=<N> ratio_vs_psql_copy=<x> peak_rss_mb=<y>
 *
 * With `--parallelism N` the loader loads through N connections into a
 * table partitioned by `_file_id` (as the migration creates it then: no
 * `_file_id` index, partition pruning finds a file's rows), and each rep
 * also times the practical ceiling: the file split in N parts at record
 * boundaries, loaded by N concurrent `psql \copy` into the baseline's table
 * (ratio_vs_parallel_psql) and, printed before the last line, into a table
 * of the loader's partition layout (no index). The last line then is:
 *   load rows=<N> ratio_vs_psql_copy=<x> ratio_vs_parallel_psql=<y> peak_rss_mb=<m>
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildSync } from 'esbuild';
import { Client } from 'pg';
import { BENCH_TABLE_CONFIG, generateCsv } from './csv-generator';
import { splitCsv } from './split-csv';
import { tableMigrationSql } from '../src/runtime/load';
import type { PostgresTableSinkConfig } from '../src/shared/sink-config';
import { startPostgres } from '../test/support/services';

const OUT_DIR = path.join(__dirname, 'out');

interface Args { rows: number; reps: number; databaseUrl?: string; skip: boolean; checkpointEvery?: number; parallelism: number }

function parseArgs(argv: string[]): Args {
  const args: Args = { rows: 1_000_000, reps: 3, databaseUrl: process.env.DATABASE_URL, skip: true, parallelism: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rows') args.rows = Number(argv[++i]);
    else if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--database-url') args.databaseUrl = argv[++i];
    else if (a === '--no-skip') args.skip = false;
    else if (a === '--checkpoint-every') args.checkpointEvery = Number(argv[++i]);
    else if (a === '--parallelism') args.parallelism = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}; usage: --rows N --reps R [--database-url URL] [--no-skip] [--checkpoint-every N] [--parallelism N]`);
  }
  if (!(args.rows > 0) || !(args.reps > 0)) throw new Error('--rows and --reps must be positive numbers');
  if (!Number.isInteger(args.parallelism) || args.parallelism < 1 || args.parallelism > 64) throw new Error('--parallelism must be a whole number from 1 to 64');
  return args;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function bundleLoader(name = 'run-loader'): string {
  const out = path.join(OUT_DIR, `${name}.js`);
  buildSync({
    entryPoints: [path.join(__dirname, `${name}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['pg-native'],
    outfile: out,
    logLevel: 'warning',
  });
  return out;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve({ stdout, ms }); else reject(new Error(`${cmd} exited with ${code}: ${stderr}`));
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(OUT_DIR, { recursive: true });
  let stopServer = async (): Promise<void> => undefined;
  let url = args.databaseUrl;
  if (!url) {
    const pg = await startPostgres();
    url = pg.url;
    stopServer = async () => {
      try { process.kill(-pg.pid, 'SIGTERM'); } catch { try { process.kill(pg.pid, 'SIGTERM'); } catch { /* gone */ } }
      await new Promise((r) => setTimeout(r, 500));
      fs.rmSync(pg.dataDir, { recursive: true, force: true });
    };
    console.log(`started PostgreSQL at ${url}`);
  }
  try {
    await bench(args, url);
  } finally {
    await stopServer();
  }
}

async function bench(args: Args, url: string): Promise<void> {
  const loader = bundleLoader();
  const clean = await generateCsv(path.join(OUT_DIR, `bench-${args.rows}.csv`), args.rows);
  console.log(`file ${clean.path}: ${args.rows} rows, ${(clean.bytes / 1e6).toFixed(1)} MB`);
  const config: PostgresTableSinkConfig = BENCH_TABLE_CONFIG;
  const table = `${config.schema}.${config.table}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  console.log(`server: PostgreSQL ${(await admin.query('SHOW server_version')).rows[0].server_version}`);
  await admin.query(`DROP TABLE IF EXISTS ${table}`);
  for (const sql of tableMigrationSql(config)) await admin.query(sql);
  const cols = config.columns.map((c) => c.name).join(', ');
  const fileId = 1;

  const psqlScript = path.join(OUT_DIR, 'psql-copy.sql');
  fs.writeFileSync(psqlScript, [
    'BEGIN;',
    `SELECT set_config('cdk_data_pipeline.file_id', '${fileId}', true) \\g /dev/null`,
    `DELETE FROM ${table} WHERE _file_id = ${fileId};`,
    `\\copy ${table} (${cols}) FROM '${clean.path}' WITH (FORMAT csv, HEADER true)`,
    'COMMIT;',
    '',
  ].join('\n'));

  // The loader's table: the plain one, or with --parallelism one partitioned by _file_id (dropped and
  // created again before each run, so that the file's partition is new each time, as for a new file).
  const parallel = args.parallelism > 1;
  const loaderConfig: PostgresTableSinkConfig = parallel ? { ...config, table: `${config.table}_par`, parallelism: args.parallelism } : config;
  const loaderTable = `${loaderConfig.schema}.${loaderConfig.table}`;
  const parts = parallel ? await splitCsv(clean.path, args.parallelism, path.join(OUT_DIR, `bench-${args.rows}-part`)) : [];
  // Two ceilings: N psql into the baseline's table (what ratio_vs_parallel_psql compares with), and into a
  // table of the loader's partition layout (the columns and the default, no _file_id index).
  const ceilingTable = `${config.schema}.${config.table}_ceiling`;
  if (parallel) {
    await admin.query(`DROP TABLE IF EXISTS ${ceilingTable}`);
    await admin.query(`CREATE TABLE ${ceilingTable} (LIKE ${table} INCLUDING DEFAULTS)`);
  }
  const partScripts = (into: string) => parts.map((part, i) => {
    const script = path.join(OUT_DIR, `psql-copy-part${i}-${into.replace(/\W/g, '_')}.sql`);
    fs.writeFileSync(script, [
      'BEGIN;',
      `SELECT set_config('cdk_data_pipeline.file_id', '${fileId}', true) \\g /dev/null`,
      `\\copy ${into} (${cols}) FROM '${part}' WITH (FORMAT csv)`,
      'COMMIT;',
      '',
    ].join('\n'));
    return script;
  });
  const ceilings = parallel ? [{ into: table, scripts: partScripts(table), rates: [] as number[] }, { into: ceilingTable, scripts: partScripts(ceilingTable), rates: [] as number[] }] : [];
  const reset = async (): Promise<void> => {
    await admin.query(`TRUNCATE ${table}`);
    if (parallel) {
      await admin.query(`TRUNCATE ${ceilingTable}`);
      await admin.query(`DROP TABLE IF EXISTS ${loaderTable}`);
      for (const sql of tableMigrationSql(loaderConfig)) await admin.query(sql);
    }
    await admin.query('CHECKPOINT');
  };
  const countLoaded = async (): Promise<number> => Number((await admin.query(`SELECT count(*) AS n FROM ${loaderTable}`)).rows[0].n);
  const count = async (): Promise<number> => Number((await admin.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const ours = async (file: string, cfg: PostgresTableSinkConfig): Promise<{ ms: number; rows: number; rejected: number; rssMb: number }> => {
    const r = await run(process.execPath, [loader, url, file, String(fileId), JSON.stringify(cfg)]);
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rowsLoaded: number; rowsRejected: number; ms: number; maxRssMb: number };
    return { ms: o.ms, rows: o.rowsLoaded, rejected: o.rowsRejected, rssMb: o.maxRssMb };
  };

  // SKIP_AND_REPORT on the file with 1% bad rows, in each rep right after psql's run, so each rep pairs them.
  const bad = args.skip ? await generateCsv(path.join(OUT_DIR, `bench-${args.rows}-bad1pct.csv`), args.rows, 100) : undefined;
  const skipRates: number[] = [];
  const skipOneRates: number[] = [];
  let skipRss = 0;
  const skip = async (cfg: PostgresTableSinkConfig, loaded: () => Promise<number>): Promise<{ rate: number; line: string }> => {
    await reset();
    const o = await ours(bad!.path, { ...cfg, badRows: 'SKIP_AND_REPORT' });
    if (o.rejected !== bad!.badRows || o.rows !== args.rows - bad!.badRows || (await loaded()) !== o.rows) {
      throw new Error(`SKIP_AND_REPORT loaded ${o.rows} and rejected ${o.rejected} rows; expected ${args.rows - bad!.badRows} and ${bad!.badRows}`);
    }
    skipRss = Math.max(skipRss, o.rssMb);
    // Rate over every row of the file, as psql's is.
    const rate = args.rows / (o.ms / 1000);
    return { rate, line: `${(o.ms / 1000).toFixed(2)} s (${Math.round(rate)} rows/s, ${o.rejected} rejected), peak RSS ${o.rssMb.toFixed(1)} MB` };
  };

  const psqlRates: number[] = [];
  const ourRates: number[] = [];
  let peakRss = 0;
  for (let rep = 1; rep <= args.reps; rep++) {
    await reset();
    const p = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', psqlScript]);
    const pRows = await count();
    if (pRows !== args.rows) throw new Error(`psql loaded ${pRows} rows, expected ${args.rows}`);
    psqlRates.push(args.rows / (p.ms / 1000));
    let skipLine = '';
    if (bad) {
      const s = await skip(loaderConfig, countLoaded);
      skipRates.push(s.rate);
      let line = `rep ${rep}: loader SKIP_AND_REPORT${parallel ? ` x${args.parallelism}` : ''} ${s.line}`;
      if (parallel) {
        const one = await skip(config, count);
        skipOneRates.push(one.rate);
        line += `; through one connection ${one.line}`;
      }
      skipLine = `\n${line}`;
    }
    let parallelLine = '';
    for (const ceiling of ceilings) {
      await reset();
      const started = process.hrtime.bigint();
      await Promise.all(ceiling.scripts.map((script) => run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', script])));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const loaded = Number((await admin.query(`SELECT count(*) AS n FROM ${ceiling.into}`)).rows[0].n);
      if (loaded !== args.rows) throw new Error(`${parts.length} psql loaded ${loaded} rows into ${ceiling.into}, expected ${args.rows}`);
      ceiling.rates.push(args.rows / (ms / 1000));
      parallelLine += `${parts.length} psql \\copy into ${ceiling.into} ${(ms / 1000).toFixed(2)} s (${Math.round(args.rows / (ms / 1000))} rows/s), `;
    }
    await reset();
    const o = await ours(clean.path, { ...loaderConfig, badRows: 'FAIL_FILE' });
    if (o.rows !== args.rows || (await countLoaded()) !== args.rows) throw new Error(`loader loaded ${o.rows} rows, expected ${args.rows}`);
    ourRates.push(args.rows / (o.ms / 1000));
    peakRss = Math.max(peakRss, o.rssMb);
    console.log(`rep ${rep}: psql \\copy ${(p.ms / 1000).toFixed(2)} s (${Math.round(psqlRates[rep - 1])} rows/s), ${parallelLine}`
      + `loader FAIL_FILE${parallel ? ` x${args.parallelism}` : ''} ${(o.ms / 1000).toFixed(2)} s (${Math.round(ourRates[rep - 1])} rows/s), peak RSS ${o.rssMb.toFixed(1)} MB${skipLine}`);
  }
  const psqlMedian = median(psqlRates);
  const ratio = median(ourRates) / psqlMedian;
  const range = (xs: number[]) => `${Math.round(Math.min(...xs))}..${Math.round(Math.max(...xs))}`;
  // Each rep's loader run against that rep's other run: back to back, so the machine's load moves them together.
  const paired = (mine: number[], theirs: number[]) => {
    const r = mine.map((x, i) => x / theirs[i]);
    return `${Math.min(...r).toFixed(3)}..${Math.max(...r).toFixed(3)} (median ${median(r).toFixed(3)})`;
  };

  if (bad) {
    console.log(`SKIP_AND_REPORT${parallel ? ` x${args.parallelism}` : ''} rows/s median (range): ${Math.round(median(skipRates))} (${range(skipRates)}); `
      + `paired with the rep's psql ${paired(skipRates, psqlRates)}`
      + (parallel ? `; through one connection ${Math.round(median(skipOneRates))} (${range(skipOneRates)}), paired x${args.parallelism}/one ${paired(skipRates, skipOneRates)}` : ''));
    console.log(`skip_and_report rows=${args.rows} bad_rows=${bad.badRows}${parallel ? ` parallelism=${args.parallelism}` : ''} `
      + `ratio_vs_psql_copy=${(median(skipRates) / psqlMedian).toFixed(3)} peak_rss_mb=${skipRss.toFixed(1)}`);
  }
  if (args.checkpointEvery) await checkpointBench(args, url, clean.path, config, reset, count, psqlMedian);
  await admin.end();
  const vsParallel = parallel ? ` ratio_vs_parallel_psql=${(median(ourRates) / median(ceilings[0].rates)).toFixed(3)}` : '';
  if (parallel) {
    console.log(`rows/s medians (ranges): psql ${Math.round(psqlMedian)} (${range(psqlRates)}), loader x${args.parallelism} ${Math.round(median(ourRates))} (${range(ourRates)})`);
    for (const c of ceilings) {
      console.log(`  ${parts.length} psql into ${c.into}: ${Math.round(median(c.rates))} (${range(c.rates)}); paired loader/${parts.length} psql ${paired(ourRates, c.rates)}; `
        + `ratio ${(median(ourRates) / median(c.rates)).toFixed(3)}`);
    }
  }
  console.log(`load rows=${args.rows} ratio_vs_psql_copy=${ratio.toFixed(3)}${vsParallel} peak_rss_mb=${peakRss.toFixed(1)}`);
}

/**
 * The whole processFile (claim, load, backup, result) in one transaction and
 * in checkpointed chunks of `--checkpoint-every` rows, alternately: what
 * checkpoints cost.
 */
async function checkpointBench(
  args: Args, url: string, file: string, config: PostgresTableSinkConfig,
  reset: () => Promise<void>, count: () => Promise<number>, psqlMedian: number,
): Promise<void> {
  const runner = bundleLoader('run-file');
  const outDir = path.join(OUT_DIR, 'run-file-out');
  const once: number[] = [];
  const chunked: number[] = [];
  let peakRss = 0;
  for (let rep = 1; rep <= args.reps; rep++) {
    for (const [every, rates] of [[0, once], [args.checkpointEvery!, chunked]] as const) {
      await reset();
      const r = await run(process.execPath, [runner, url, file, JSON.stringify({ ...config, badRows: 'FAIL_FILE' }), String(every), outDir]);
      const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: number; ms: number; maxRssMb: number };
      if (o.rows !== args.rows || (await count()) !== args.rows) throw new Error(`processFile (every ${every}) loaded ${o.rows} rows, expected ${args.rows}`);
      rates.push(args.rows / (o.ms / 1000));
      if (every > 0) peakRss = Math.max(peakRss, o.maxRssMb);
      console.log(`rep ${rep}: processFile ${every ? `checkpoint every ${every}` : 'one transaction'} ${(o.ms / 1000).toFixed(2)} s `
        + `(${Math.round(rates[rates.length - 1])} rows/s), peak RSS ${o.maxRssMb.toFixed(1)} MB`);
    }
  }
  const ratios = chunked.map((c, i) => c / once[i]);
  console.log(`checkpoint rows=${args.rows} every=${args.checkpointEvery} ratio_vs_one_transaction=${(median(chunked) / median(once)).toFixed(3)} `
    + `paired_ratio_range=${Math.min(...ratios).toFixed(3)}..${Math.max(...ratios).toFixed(3)} `
    + `ratio_vs_psql_copy=${(median(chunked) / psqlMedian).toFixed(3)} peak_rss_mb=${peakRss.toFixed(1)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
