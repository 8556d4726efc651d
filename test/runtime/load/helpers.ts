import { Readable } from 'stream';
import { Client, PoolClient } from 'pg';
import type { SinkOutcome } from '../../../src/runtime/contract/sink-api';
import { createPostgresTableSink, tableMigrationSql } from '../../../src/runtime/load';
import type { ColumnConfig, PostgresTableSinkConfig } from '../../../src/shared/sink-config';
import { createTestDatabase } from '../../support/db';

export function tableConfig(table: string, columns: ColumnConfig[], over: Partial<PostgresTableSinkConfig> = {}): PostgresTableSinkConfig {
  return { kind: 'postgresTable', schema: 'public', table, columns, badRows: 'FAIL_FILE', extraColumns: 'IGNORE', ...over };
}

/** The table most tests load: one column of each commonly used type. */
export const COLUMNS: ColumnConfig[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'name', type: 'text', nullable: false },
  { name: 'amount', type: 'numeric(8,2)', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'ok', type: 'boolean', nullable: true },
];

/** Splits bytes into small chunks so records and CRLFs straddle chunk edges. */
export function chunked(data: Buffer | string, size = 7): () => Promise<Readable> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
    return Readable.from(parts, { objectMode: false });
  };
}

export function whole(data: Buffer | string): () => Promise<Readable> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return async () => Readable.from([buf]);
}

export interface TestDb {
  client: Client;
  /** Creates (or recreates) the table of `config`. */
  createTable(config: PostgresTableSinkConfig): Promise<void>;
  /** Loads in its own transaction; commits on success, rolls back on error. */
  load(config: PostgresTableSinkConfig, open: () => Promise<Readable>, fileId?: number): Promise<SinkOutcome>;
  rows(table: string, columns?: string): Promise<any[]>;
  close(): Promise<void>;
}

export async function openTestDb(): Promise<TestDb> {
  const db = await createTestDatabase('load');
  const client = new Client({ connectionString: db.url });
  await client.connect();
  return {
    client,
    async createTable(config) {
      await client.query(`DROP TABLE IF EXISTS ${config.schema}.${config.table}`);
      for (const sql of tableMigrationSql(config)) await client.query(sql);
    },
    async load(config, open, fileId = 1) {
      const sink = createPostgresTableSink(config);
      await client.query('BEGIN');
      try {
        const outcome = await sink.load(client as unknown as PoolClient, { fileId, bucket: 'b', key: 'k.csv', version: 'v1' }, open);
        await client.query('COMMIT');
        return outcome;
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    },
    async rows(table, columns = '*') {
      return (await client.query(`SELECT ${columns} FROM ${table} ORDER BY 1`)).rows;
    },
    async close() {
      await client.end();
      await db.drop();
    },
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the load to fail');
}
