/**
 * The per-file partitions of a table loaded with `parallelism` > 1.
 *
 * Such a table is `PARTITION BY LIST (_file_id)`: each file version gets a
 * partition of its own. A parallel load creates it as a plain table (the
 * staging table), committed, so that several connections can COPY into it;
 * nobody reading the table sees it until the transaction that marks the file
 * succeeded attaches it. ATTACH PARTITION takes only SHARE UPDATE EXCLUSIVE
 * on the table (readers and other writers go on) and, thanks to the CHECK
 * constraint the staging table carries, does not scan the rows.
 *
 * A staging table is recognised by its name and its comment; one left by a
 * crashed load (committed parts, never attached) holds no lock and delays no
 * vacuum, only disk space: `sweepStagingTables` drops those nobody is
 * loading into (the loader holds an advisory lock on its staging table).
 */
import { createHash } from 'crypto';
import type { ClientBase } from 'pg';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { FILE_ID_COLUMN, qualifiedTableName, quoteIdent } from '../validate-config';

/** First key of the advisory locks a loader holds on its staging table (`cdp0` in ASCII). */
const STAGING_LOCK_CLASS = 0x63647030;
const MAX_NAME = 63;

/** Name of the partition (and staging table) of a file version; table names are ASCII, at most 51 bytes. */
export function partitionName(table: string, fileId: number): string {
  const suffix = `__f${fileId}`;
  if (table.length + suffix.length <= MAX_NAME) return `${table}${suffix}`;
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 6);
  return `${table.slice(0, MAX_NAME - suffix.length - hash.length - 1)}_${hash}${suffix}`;
}

/** Comment that marks a table as this loader's partition of `config`'s table for one file. */
export function partitionComment(config: PostgresTableSinkConfig, fileId: number): string {
  return `cdk-data-pipeline: partition of ${qualifiedTableName(config)} for file ${fileId}`;
}

function partitionRef(config: PostgresTableSinkConfig, fileId: number): string {
  return `${quoteIdent(config.schema)}.${quoteIdent(partitionName(config.table, fileId))}`;
}

/** Whether the target table is partitioned (created with `parallelism` > 1). */
export async function isPartitioned(client: ClientBase, config: PostgresTableSinkConfig): Promise<boolean> {
  const r = await client.query<{ relkind: string }>('SELECT relkind FROM pg_class WHERE oid = to_regclass($1)', [qualifiedTableName(config)]);
  return r.rows[0]?.relkind === 'p';
}

/**
 * Whether the table has a unique index or an exclusion constraint (its
 * staging tables get them too): the same key in two workers' open
 * transactions would make one wait for the other's commit, which comes only
 * after every row is in.
 */
export async function hasUniqueIndex(client: ClientBase, config: PostgresTableSinkConfig): Promise<boolean> {
  const r = await client.query<{ unique: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = to_regclass($1) AND (indisunique OR indisexclusion)) AS unique', [qualifiedTableName(config)]);
  return r.rows[0].unique;
}

export type PartitionState = 'absent' | 'staging' | 'attached';

/** Where the file's partition stands. A table of that name that is not ours is an error, never touched. */
export async function partitionState(client: ClientBase, config: PostgresTableSinkConfig, fileId: number): Promise<PartitionState> {
  const ref = partitionRef(config, fileId);
  const r = await client.query<{ attached: boolean; comment: string | null }>(
    "SELECT relispartition AS attached, obj_description(oid, 'pg_class') AS comment FROM pg_class WHERE oid = to_regclass($1)", [ref]);
  const row = r.rows[0];
  if (!row) return 'absent';
  if (row.comment !== partitionComment(config, fileId)) {
    throw new Error(`table ${ref} exists but is not the loader's partition of ${qualifiedTableName(config)} for file ${fileId}; rename or drop it`);
  }
  return row.attached ? 'attached' : 'staging';
}

/** Creates the file's staging table (a copy of the table's columns, defaults and index, with the partition's CHECK). */
export async function createStagingTable(client: ClientBase, config: PostgresTableSinkConfig, fileId: number): Promise<void> {
  const ref = partitionRef(config, fileId);
  const id = Number(fileId);
  if (!Number.isSafeInteger(id)) throw new Error(`file id ${fileId} is not an integer`);
  await client.query(`CREATE TABLE ${ref} (LIKE ${qualifiedTableName(config)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
  // Lets ATTACH PARTITION skip its validation scan: the constraint implies the partition bound.
  await client.query(`ALTER TABLE ${ref} ADD CHECK (${quoteIdent(FILE_ID_COLUMN)} = ${id})`);
  await client.query(`COMMENT ON TABLE ${ref} IS ${literal(partitionComment(config, fileId))}`);
}

/** Attaches the file's staging table, in the caller's transaction: its rows become visible when that commits. */
export async function attachPartition(client: ClientBase, config: PostgresTableSinkConfig, fileId: number): Promise<void> {
  await client.query(`ALTER TABLE ${qualifiedTableName(config)} ATTACH PARTITION ${partitionRef(config, fileId)} FOR VALUES IN (${Number(fileId)})`);
}

/**
 * For a load through one connection into a partitioned table: makes sure
 * the file has an attached partition in the caller's transaction (a staging
 * table left behind is dropped first: its rows are an earlier try's).
 */
export async function ensurePartition(client: ClientBase, config: PostgresTableSinkConfig, fileId: number): Promise<void> {
  const state = await partitionState(client, config, fileId);
  if (state === 'attached') return;
  if (state === 'staging') await client.query(`DROP TABLE ${partitionRef(config, fileId)}`);
  await createStagingTable(client, config, fileId);
  await attachPartition(client, config, fileId);
}

/** The advisory lock a loader holds (session level) on its staging table while it loads into it. */
export async function lockStagingTable(client: ClientBase, config: PostgresTableSinkConfig, fileId: number): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [STAGING_LOCK_CLASS, partitionRef(config, fileId)]);
}

export async function unlockStagingTable(client: ClientBase, config: PostgresTableSinkConfig, fileId: number): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [STAGING_LOCK_CLASS, partitionRef(config, fileId)]);
}

/**
 * Drops the staging tables of `config`'s table that no loader holds: what
 * loads killed before their commit left behind. Runs outside a transaction
 * (each drop commits on its own). A table someone holds a lock on (a load
 * attaching it right now) is skipped. Returns the dropped tables' names.
 */
export async function sweepStagingTables(client: ClientBase, config: PostgresTableSinkConfig): Promise<string[]> {
  const prefix = `cdk-data-pipeline: partition of ${qualifiedTableName(config)} for file `;
  const r = await client.query<{ name: string; comment: string }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT c.relispartition AND starts_with(obj_description(c.oid, 'pg_class'), $2) ORDER BY c.relname`,
    [config.schema, prefix]);
  const dropped: string[] = [];
  for (const row of r.rows) {
    const fileId = Number(row.comment.slice(prefix.length));
    if (!Number.isSafeInteger(fileId) || partitionName(config.table, fileId) !== row.name) continue;
    const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [STAGING_LOCK_CLASS, partitionRef(config, fileId)]);
    if (!got.rows[0].ok) continue;
    try {
      await client.query('BEGIN');
      try {
        await client.query(`LOCK TABLE ${partitionRef(config, fileId)} IN ACCESS EXCLUSIVE MODE NOWAIT`);
        // Attached since the list was read: a load committed it; not ours to drop.
        if ((await partitionState(client, config, fileId)) === 'staging') {
          await client.query(`DROP TABLE ${partitionRef(config, fileId)}`);
          dropped.push(row.name);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        // 55P03 lock_not_available: in use right now; 42P01: dropped meanwhile.
        const code = (err as { code?: string }).code;
        if (code !== '55P03' && code !== '42P01') throw err;
      }
    } finally {
      await unlockStagingTable(client, config, fileId);
    }
  }
  return dropped;
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
