/**
 * What the fault tests share: a generated CSV of known contents and the
 * checksum of the table it loads into, a runtime whose AWS clients go
 * through a given endpoint (the cutting proxy), a log that can be read back,
 * and polling instead of fixed sleeps.
 */
import { createHash } from 'crypto';
import { Client } from 'pg';
import { jsonLogger } from '../../../src/runtime/contract/logger';
import { createRuntime, Runtime } from '../../../src/runtime/entry/lambda-runtime';
import type { PostgresTableSinkConfig } from '../../../src/shared/sink-config';
import { motoClientConfig } from '../../support/moto';
import { runtimeEnv, sentMessages, TestAws } from '../helpers';

export const TABLE = 'fault_rows';

export function tableSink(table = TABLE): PostgresTableSinkConfig {
  return {
    kind: 'postgresTable',
    schema: 'public',
    table,
    columns: [
      { name: 'id', type: 'integer', nullable: false },
      { name: 'name', type: 'text', nullable: false },
      { name: 'amount', type: 'numeric(12,2)', nullable: true },
    ],
    badRows: 'FAIL_FILE',
    extraColumns: 'IGNORE',
  };
}

export interface GeneratedCsv {
  readonly body: string;
  readonly rows: number;
  /** md5 of the rows as `id,name,amount` lines in id order, as tableChecksum computes it. */
  readonly md5: string;
}

/** `rows` records; `tag` makes the contents of two files differ. */
export function generateCsv(rows: number, tag = 'r'): GeneratedCsv {
  const lines: string[] = [];
  const csvLines: string[] = [];
  for (let i = 1; i <= rows; i++) {
    const name = `${tag}-${i} "x"`;
    const amount = (i * 1.25).toFixed(2);
    lines.push(`${i},${name},${amount}`);
    csvLines.push(`${i},"${name.replace(/"/g, '""')}",${amount}`);
  }
  return {
    body: `id,name,amount\n${csvLines.join('\n')}\n`,
    rows,
    md5: createHash('md5').update(lines.join('\n')).digest('hex'),
  };
}

export interface TableChecksum {
  readonly rows: number;
  readonly md5: string | null;
}

/** Count and md5 of the table's contents (without `_file_id`), comparable with GeneratedCsv. */
export async function tableChecksum(url: string, table = TABLE): Promise<TableChecksum> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ rows: number; md5: string | null }>(
      `SELECT count(*)::int AS rows, md5(string_agg(id || ',' || name || ',' || coalesce(amount::text, ''), E'\\n' ORDER BY id)) AS md5 FROM ${table}`,
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

export const expected = (csv: GeneratedCsv): TableChecksum => ({ rows: csv.rows, md5: csv.md5 });
export const EMPTY: TableChecksum = { rows: 0, md5: null };

export interface LogLine { level: string; message: string; [field: string]: unknown }

export interface FaultRuntime extends Runtime {
  readonly logs: LogLine[];
}

/** The Lambda's runtime, built by createRuntime from the environment; AWS calls go to `endpoint` (default moto). */
export function faultRuntime(aws: TestAws, databaseUrl: string, options: { env?: Record<string, string>; endpoint?: string } = {}): FaultRuntime {
  const logs: LogLine[] = [];
  const runtime = createRuntime({
    env: { ...runtimeEnv(aws, databaseUrl), ...options.env },
    aws: { ...motoClientConfig(), ...(options.endpoint ? { endpoint: options.endpoint } : {}) },
    log: jsonLogger((line) => logs.push(JSON.parse(line) as LogLine)),
    writeMetric: () => undefined,
  });
  return { ...runtime, logs };
}

export const sinksEnv = (...sinks: PostgresTableSinkConfig[]) => ({ PIPELINE_SINKS: JSON.stringify(sinks.length ? sinks : [tableSink()]) });

/** Polls `condition` every 50 ms; generous by default, for a busy 2-core machine. */
export async function waitFor(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // the server may be restarting: keep polling
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Status values of the messages moto's SNS recorded for `key`, in order. */
export async function statusesSent(topicArn: string, key: string): Promise<string[]> {
  return (await sentMessages(topicArn)).filter((m) => m.body.key === key).map((m) => String(m.body.status));
}

/** A host limit `ms` from now, as Lambda's getRemainingTimeInMillis reports it. */
export const limit = (ms: number) => {
  const end = Date.now() + ms;
  return () => end - Date.now();
};
