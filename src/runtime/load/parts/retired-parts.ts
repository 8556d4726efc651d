/**
 * Drops the parts tables of file versions that will never be committed from
 * them: a `--part` round left incomplete for good (a part never run again),
 * whose version is retired (`replaced`, `superseded` or `gone` in
 * `file_metadata`) or older than the version of its key loaded since (the
 * processor would find it superseded at its next attempt). Run by the sweep after a file of the table
 * commits (../parallel/prune-partitions.ts), on its connection, outside any
 * transaction.
 *
 * A parts table is dropped only when it is the loader's (name and comment,
 * ./staging.ts), its version is retired, nobody holds that version (the
 * ledger's version lock, only tried) and no part is COPYing into it (`LOCK
 * ... NOWAIT`); its part records and range counts go in the same
 * transaction. A part of that version run later finds the version retired
 * and loads nothing.
 */
import type { ClientBase } from 'pg';
import { forgetParts } from './part-records';
import { findPartsTable, partsTableName, partsTableRef } from './staging';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { errorMessage, Logger } from '../../contract/logger';
import { isOlderThan } from '../../core/version-order';
import { newestLoadedVersion, tryLockVersion, unlockVersion } from '../../ledger/file-metadata';
import { qualifiedTableName } from '../validate-config';

/** File ids of the loader's parts tables of `config`'s table. */
async function partsTables(client: ClientBase, config: PostgresTableSinkConfig): Promise<number[]> {
  const ledger = await client.query<{ ok: boolean }>("SELECT to_regclass('file_parts') IS NOT NULL AND to_regclass('file_metadata') IS NOT NULL AS ok");
  if (!ledger.rows[0].ok) return [];
  const r = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname ~ '__p[0-9]+$' AND NOT c.relispartition ORDER BY c.relname`, [config.schema]);
  return r.rows.map((row) => Number(/__p([0-9]+)$/.exec(row.name)?.[1]))
    .filter((id, i) => Number.isSafeInteger(id) && partsTableName(config.table, id) === r.rows[i].name);
}

/**
 * Whether version `fileId` will never be committed: retired in the ledger
 * (`statuses`), or not loaded and older than its key's loaded version (its
 * next attempt would be `superseded`, by the processor's own rule).
 */
async function isRetired(client: ClientBase, fileId: number, statuses: readonly string[]): Promise<boolean> {
  const r = await client.query<{ bucket: string; key: string; status: string; sequencer: string | null; object_modified_at: Date | null }>(
    'SELECT bucket, key, status, sequencer, object_modified_at FROM file_metadata WHERE id = $1', [fileId]);
  const row = r.rows[0];
  if (!row || row.status === 'succeeded') return false;
  if (statuses.includes(row.status)) return true;
  const newest = await newestLoadedVersion(client, row, fileId);
  return newest !== undefined && isOlderThan({ sequencer: row.sequencer, modifiedAt: row.object_modified_at }, newest);
}

/**
 * Drops at most `max` parts tables of retired versions of `config`'s table;
 * returns their names. A table it cannot drop now is left for the next
 * sweep, with a warning when something failed; never throws.
 */
export async function dropRetiredPartsTables(
  client: ClientBase, config: PostgresTableSinkConfig, statuses: readonly string[], max: number, log: Logger,
): Promise<string[]> {
  const dropped: string[] = [];
  try {
    for (const fileId of await partsTables(client, config)) {
      if (dropped.length >= max) break;
      if (!(await tryLockVersion(client, fileId))) continue;
      try {
        if (await dropOne(client, config, fileId, statuses)) dropped.push(partsTableName(config.table, fileId));
      } catch (err) {
        log.warn('could not drop the parts table of a replaced file version; the next load of the table tries again', {
          table: qualifiedTableName(config), partsTable: partsTableName(config.table, fileId), fileId, error: errorMessage(err),
        });
      } finally {
        await unlockVersion(client, fileId);
      }
    }
  } catch (err) {
    log.warn('the sweep of the parts tables of replaced file versions stopped; the next load of the table tries again', {
      table: qualifiedTableName(config), error: errorMessage(err),
    });
  }
  return dropped;
}

async function dropOne(client: ClientBase, config: PostgresTableSinkConfig, fileId: number, statuses: readonly string[]): Promise<boolean> {
  await client.query('BEGIN');
  try {
    // Judged under the version lock; a part COPYing into the table keeps it (55P03).
    let drop = false;
    if (await isRetired(client, fileId, statuses)) {
      await client.query(`LOCK TABLE ${partsTableRef(config, fileId)} IN ACCESS EXCLUSIVE MODE NOWAIT`);
      // Throws for a table of that name that is not the loader's: it is never touched.
      drop = (await findPartsTable(client, config, fileId)).state !== 'absent';
    }
    if (drop) {
      await client.query(`DROP TABLE ${partsTableRef(config, fileId)}`);
      await forgetParts(client, fileId);
    }
    await client.query('COMMIT');
    return drop;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((err as { code?: string }).code === '55P03') return false;
    throw err;
  }
}
