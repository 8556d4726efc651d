/** What the parallel-load tests share: a table, a load in its own transaction, and what a load leaves in the catalog. */
import { Readable } from 'stream';
import { Client, PoolClient } from 'pg';
import type { FileContext, SinkOutcome } from '../../../src/runtime/contract/sink-api';
import { createPostgresTableSink, tableMigrationSql } from '../../../src/runtime/load';
import type { ParallelLoadOptions } from '../../../src/runtime/load/parallel/parallel-copy';
import type { PostgresTableSinkConfig } from '../../../src/shared/sink-config';

/** Creates (or recreates) the table of `config`, as the migration does. */
export async function createTable(client: Client, config: PostgresTableSinkConfig): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${config.schema}.${config.table}`);
  for (const sql of tableMigrationSql(config)) await client.query(sql);
}

/** Loads the file through the table sink in a transaction of its own, as the processor's claim transaction does. */
export async function loadFile(
  client: Client, config: PostgresTableSinkConfig, open: () => Promise<Readable>, file: Partial<FileContext>, options: ParallelLoadOptions,
): Promise<SinkOutcome> {
  const sink = createPostgresTableSink(config, { parallel: options });
  await client.query('BEGIN');
  try {
    const outcome = await sink.load(client as unknown as PoolClient, { fileId: 1, bucket: 'b', key: 'k.csv', version: 'v1', ...file }, open);
    await client.query('COMMIT');
    return outcome;
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}

/** The table's partitions and their bounds. */
export async function partitionsOf(client: Client, table: string): Promise<string[]> {
  const r = await client.query(`SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = $1::regclass ORDER BY 1`, [table]);
  return r.rows.map((row) => `${row.relname} ${row.bound}`);
}

/** Staging tables not attached (what a killed or failed load would leave). */
export async function stagingTablesIn(client: Client): Promise<string[]> {
  const r = await client.query("SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition AND obj_description(oid, 'pg_class') LIKE 'cdk-data-pipeline: partition%'");
  return r.rows.map((row) => row.relname);
}
