/**
 * The parts table of a split file: a plain table like the target table (the
 * same columns, defaults, indexes, plus `CHECK (_file_id = <id>)`), into
 * which every part COPYs and commits its rows; nobody reading the target
 * table sees it. The part that records the last one renames it to the
 * file's partition name and attaches it in the transaction that marks the
 * file succeeded (as a parallel load does, ../parallel/partitions.ts).
 *
 * Its name (`<table>__p<file id>`) and comment differ from a parallel load's
 * staging table on purpose: that load's sweep drops the staging tables no
 * live process holds, while a parts table outlives the processes that fill
 * it (part 0 may be done and gone before part 3 starts). The comment says
 * how many parts it is for, or that it was abandoned (a part failed on a
 * bad row): the next round drops an abandoned one.
 */
import type { ClientBase } from 'pg';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { attachPartition, partitionComment, partitionName, partitionState } from '../parallel/partitions';
import { FILE_ID_COLUMN, qualifiedTableName, quoteIdent } from '../validate-config';

export type PartsTable =
  | { readonly state: 'absent' }
  | { readonly state: 'live'; readonly oid: number; readonly parts: number }
  | { readonly state: 'abandoned'; readonly oid: number };

export function partsTableName(table: string, fileId: number): string {
  return partitionName(table, fileId).replace(/__f(\d+)$/, '__p$1');
}

export function partsTableRef(config: PostgresTableSinkConfig, fileId: number): string {
  return `${quoteIdent(config.schema)}.${quoteIdent(partsTableName(config.table, fileId))}`;
}

function liveComment(config: PostgresTableSinkConfig, fileId: number, parts: number): string {
  return `cdk-data-pipeline: ${parts} parts of ${qualifiedTableName(config)} for file ${fileId}`;
}

function abandonedComment(config: PostgresTableSinkConfig, fileId: number): string {
  return `cdk-data-pipeline: abandoned parts of ${qualifiedTableName(config)} for file ${fileId}`;
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Where the file's parts table stands. A table of that name that is not ours is an error, never touched. */
export async function findPartsTable(client: ClientBase, config: PostgresTableSinkConfig, fileId: number): Promise<PartsTable> {
  const ref = partsTableRef(config, fileId);
  const r = await client.query<{ oid: string; comment: string | null }>(
    "SELECT oid::bigint AS oid, obj_description(oid, 'pg_class') AS comment FROM pg_class WHERE oid = to_regclass($1)", [ref]);
  const row = r.rows[0];
  if (!row) return { state: 'absent' };
  const oid = Number(row.oid);
  if (row.comment === abandonedComment(config, fileId)) return { state: 'abandoned', oid };
  const parts = Number(/^cdk-data-pipeline: (\d+) parts of /.exec(row.comment ?? '')?.[1]);
  if (!Number.isSafeInteger(parts) || row.comment !== liveComment(config, fileId, parts)) {
    throw new Error(`table ${ref} exists but is not the loader's parts table of ${qualifiedTableName(config)} for file ${fileId}; rename or drop it`);
  }
  return { state: 'live', oid, parts };
}

/**
 * Creates the file's parts table for `parts` parts and commits it, dropping
 * an abandoned one first (its part records go with it). The caller holds
 * the file's claim, so no other process creates one meanwhile.
 */
export async function createPartsTable(client: ClientBase, config: PostgresTableSinkConfig, fileId: number, parts: number): Promise<number> {
  const ref = partsTableRef(config, fileId);
  await client.query('BEGIN');
  try {
    const found = await findPartsTable(client, config, fileId);
    if (found.state === 'live') throw new Error(`internal error: ${ref} exists already`);
    // Waits for parts of the abandoned round still COPYing into it.
    if (found.state === 'abandoned') await client.query(`DROP TABLE ${ref}`);
    await client.query('DELETE FROM file_parts WHERE file_id = $1', [fileId]);
    await client.query(`CREATE TABLE ${ref} (LIKE ${qualifiedTableName(config)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
    // Lets ATTACH PARTITION skip its validation scan: the constraint implies the partition bound.
    await client.query(`ALTER TABLE ${ref} ADD CHECK (${quoteIdent(FILE_ID_COLUMN)} = ${Number(fileId)})`);
    await client.query(`COMMENT ON TABLE ${ref} IS ${literal(liveComment(config, fileId, parts))}`);
    const oid = Number((await client.query<{ oid: string }>('SELECT to_regclass($1)::oid::bigint AS oid', [ref])).rows[0].oid);
    await client.query('COMMIT');
    return oid;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Marks the parts table abandoned (a part failed on its content): its part
 * records stop counting, so no part commits the file. COMMENT takes a lock
 * that COPYs into the table do not block.
 */
export async function abandonPartsTable(client: ClientBase, config: PostgresTableSinkConfig, fileId: number, oid: number): Promise<void> {
  const found = await findPartsTable(client, config, fileId);
  if (found.state !== 'live' || found.oid !== oid) return;
  await client.query(`COMMENT ON TABLE ${partsTableRef(config, fileId)} IS ${literal(abandonedComment(config, fileId))}`);
}

/**
 * In the caller's (claim) transaction: makes the parts table the file's
 * partition. A partition of an earlier load of this version (a forced
 * reprocessing) is detached and dropped first: that takes ACCESS EXCLUSIVE
 * on the table until the commit, so readers wait, and never see both.
 */
export async function attachPartsTable(client: ClientBase, config: PostgresTableSinkConfig, fileId: number): Promise<void> {
  const partition = `${quoteIdent(config.schema)}.${quoteIdent(partitionName(config.table, fileId))}`;
  const before = await partitionState(client, config, fileId);
  if (before === 'attached') await client.query(`ALTER TABLE ${qualifiedTableName(config)} DETACH PARTITION ${partition}`);
  if (before !== 'absent') await client.query(`DROP TABLE ${partition}`);
  await client.query(`ALTER TABLE ${partsTableRef(config, fileId)} RENAME TO ${quoteIdent(partitionName(config.table, fileId))}`);
  await client.query(`COMMENT ON TABLE ${partition} IS ${literal(partitionComment(config, fileId))}`);
  await attachPartition(client, config, fileId);
}

/**
 * Drops an abandoned parts table once nobody loads into it any more (NOWAIT:
 * a part still COPYing into it keeps it, and the last one to finish drops
 * it); its part records go with it. Returns whether it was dropped.
 */
export async function dropAbandonedPartsTable(client: ClientBase, config: PostgresTableSinkConfig, fileId: number, oid: number): Promise<boolean> {
  await client.query('BEGIN');
  try {
    await client.query(`LOCK TABLE ${partsTableRef(config, fileId)} IN ACCESS EXCLUSIVE MODE NOWAIT`);
    const found = await findPartsTable(client, config, fileId);
    const drop = found.state === 'abandoned' && found.oid === oid;
    if (drop) {
      await client.query(`DROP TABLE ${partsTableRef(config, fileId)}`);
      await client.query('DELETE FROM file_parts WHERE file_id = $1 AND staging = $2::oid', [fileId, oid]);
    }
    await client.query('COMMIT');
    return drop;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    // 55P03 lock_not_available: a part is still loading into it; 42P01: dropped already.
    const code = (err as { code?: string }).code;
    if (code === '55P03' || code === '42P01') return false;
    throw err;
  }
}
