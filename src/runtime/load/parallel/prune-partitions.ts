/**
 * Drops the partitions of file versions that are no longer live: a version
 * replaced by a newer one (REPLACE) has its rows DELETEd in the claim
 * transaction of the newer one, and its partition stays behind, empty. Run
 * after that transaction has committed, on a connection of its own, outside
 * any transaction (DETACH ... CONCURRENTLY cannot run in one).
 *
 * A partition is dropped only when all of these hold: it is named and bound
 * by this loader's convention (./partitions.ts), its `file_metadata` row is
 * `replaced`, `superseded` or `gone`, nobody holds that version (the
 * ledger's version lock is taken for the whole drop, so a forced reload of
 * it waits or reports "in progress"), and it has no rows.
 *
 * `DETACH PARTITION ... CONCURRENTLY` takes SHARE UPDATE EXCLUSIVE on the
 * table (readers and writers go on) and then waits for the transactions
 * that use the table to end. That wait is bounded by `statement_timeout`:
 * past it the partition is left "detach pending" and the next sweep
 * finishes it with `DETACH PARTITION ... FINALIZE`.
 *
 * Lock order: a load's claim transaction would otherwise deadlock with a
 * detach (its ATTACH waits for the detach's SHARE UPDATE EXCLUSIVE while the
 * detach waits for its transaction to end). So every loader transaction
 * that writes the table takes the table's advisory lock in shared mode
 * first, before any lock on the table (`holdTableForLoad`), and keeps it to
 * its end; a sweep takes it in exclusive mode, only tried, for one partition
 * at a time. A sweep never starts a detach while a load is in its
 * transaction, and a load that starts during a detach waits for that one
 * partition (at most the sweep's bound), holding no lock on the table, then
 * goes first: the sweep finds the lock taken and stops. The detach is not
 * started either while another session (not a loader) holds a lock
 * stronger than a reader's on the table. A table detached but not dropped (a crash between
 * the two) is found again by its name and comment and dropped. A sweep
 * drops at most `maxPerSweep` partitions and stops at the first wait that
 * runs out, so that it adds a bounded time to the file. Every failure is a
 * warning: the file is committed already.
 */
import type { ClientBase } from 'pg';
import { ConnectWorker, connectionsLike } from './connections';
import { partitionComment, partitionName } from './partitions';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { errorMessage, Logger } from '../../contract/logger';
import { tryLockVersion, unlockVersion } from '../../ledger/file-metadata';
import { dropRetiredPartsTables } from '../parts/retired-parts';
import { qualifiedTableName, quoteIdent } from '../validate-config';

/** First key of the advisory lock one sweep of a table holds (`cdp1` in ASCII): two loaders never sweep the same table at once. */
const PRUNE_LOCK_CLASS = 0x63647031;
/** Statuses of versions whose rows are gone from the table for good. */
const NOT_LIVE = ['replaced', 'superseded', 'gone'];
/** Default bound on each wait of a sweep (lock and statement timeout). */
export const DEFAULT_PRUNE_WAIT_MS = 10_000;
/** Partitions dropped by one sweep at most (after an upgrade a table may hold thousands; each later file's sweep takes the next ones). */
export const DEFAULT_MAX_PER_SWEEP = 20;

export interface PruneOptions {
  /** Bound on each statement and lock wait of the sweep; default 10 s. */
  readonly waitMs?: number;
  /** Partitions dropped at most; default 20. */
  readonly maxPerSweep?: number;
  /**
   * How long the whole sweep may take (what the host's time limit leaves,
   * e.g. a Lambda's): no partition is started whose waits could end past it,
   * and none at all under 1 s. Default: no limit but `waitMs` per wait.
   */
  readonly timeLeftMs?: number;
  readonly log: Logger;
}

/** Below this much time left a sweep is not started: the next load of the table does it. */
const MIN_SWEEP_MS = 1000;

interface Candidate {
  readonly fileId: number;
  readonly name: string;
  readonly attached: boolean;
  readonly pending: boolean;
}

/**
 * One sweep of `config`'s table on `client` (a connection of its own, not in
 * a transaction; its session settings are changed). Returns the names of
 * the dropped tables; never throws.
 */
export async function prunePartitions(client: ClientBase, config: PostgresTableSinkConfig, options: PruneOptions): Promise<string[]> {
  const table = qualifiedTableName(config);
  const max = options.maxPerSweep ?? DEFAULT_MAX_PER_SWEEP;
  const waitMs = Math.max(1, Math.round(Math.min(options.waitMs ?? DEFAULT_PRUNE_WAIT_MS, (options.timeLeftMs ?? Infinity) / 3)));
  const deadline = Date.now() + (options.timeLeftMs ?? Infinity);
  if ((options.timeLeftMs ?? Infinity) < MIN_SWEEP_MS) return [];
  let timed = false;
  try {
    const shape = await client.query<{ has_default: boolean; ledger: boolean }>(
      `SELECT p.partdefid <> 0 AS has_default, to_regclass('file_metadata') IS NOT NULL AS ledger
       FROM pg_partitioned_table p WHERE p.partrelid = to_regclass($1)`, [table]);
    const row = shape.rows[0];
    if (!row || !row.ledger) return [];
    await client.query("SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $1, false)", [`${waitMs}ms`]);
    timed = true;
    let dropped: string[] = [];
    if (row.has_default) {
      options.log.warn('not dropping the partitions of replaced file versions: the table has a DEFAULT partition, and DETACH PARTITION CONCURRENTLY is refused then', { table });
    } else {
      // A partition's detach and its drop may each wait `waitMs`: none is started that could end past the deadline.
      dropped = await detachAndDrop(client, config, max, options.log, () => Date.now() + 2 * waitMs <= deadline);
    }
    // The parts tables of `--part` rounds never finished, whose version was replaced since.
    return [...dropped, ...await dropRetiredPartsTables(client, config, NOT_LIVE, max - dropped.length, options.log)];
  } catch (err) {
    options.log.warn('the sweep of the partitions of replaced file versions stopped; the next load of the table tries again', { table, error: errorMessage(err) });
    return [];
  } finally {
    if (timed) await client.query('RESET statement_timeout; RESET lock_timeout').catch(() => undefined);
  }
}

/** The partitions part of the sweep: at most `max` candidates, each under the table's advisory lock. */
async function detachAndDrop(
  client: ClientBase, config: PostgresTableSinkConfig, max: number, log: Logger, inTime: () => boolean,
): Promise<string[]> {
  const table = qualifiedTableName(config);
  const dropped: string[] = [];
  for (const c of (await candidates(client, config)).slice(0, max)) {
    if (!inTime()) break;
    // A load in its transaction (or another sweep) holds the table: stop, the next sweep goes on.
    if (!(await lockTable(client, table))) break;
    try {
      if (!(await tryLockVersion(client, c.fileId))) continue;
      try {
        if (await pruneOne(client, config, c, log)) dropped.push(c.name);
      } finally {
        await unlockVersion(client, c.fileId);
      }
    } catch (err) {
      log.warn('could not drop the partition of a replaced file version; the next load of the table tries again', {
        table, partition: c.name, fileId: c.fileId, error: errorMessage(err),
      });
      // Out of time (57014) or a lock not had (55P03): the next partitions would wait for the same transactions.
      if (['57014', '55P03'].includes((err as { code?: string }).code ?? '')) break;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [PRUNE_LOCK_CLASS, table]);
    }
  }
  return dropped;
}

/** The sweep's side of the lock order: the table's advisory lock, exclusive, only tried. */
async function lockTable(client: ClientBase, table: string): Promise<boolean> {
  return (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [PRUNE_LOCK_CLASS, table])).rows[0].ok;
}

/**
 * The loaders' side of the lock order: called in a transaction that will
 * write `config`'s table, before its first lock on the table. Takes
 * the table's advisory lock in shared mode until the transaction ends, so
 * that no sweep detaches a partition meanwhile; waits for a sweep's detach
 * in progress (bounded by the sweep's own timeout).
 */
export async function holdTableForLoad(client: ClientBase, config: PostgresTableSinkConfig): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared($1, hashtext($2))', [PRUNE_LOCK_CLASS, qualifiedTableName(config)]);
}

/** Tables of the loader's naming convention for `config`'s table whose version is not live: attached, detach pending or detached. */
async function candidates(client: ClientBase, config: PostgresTableSinkConfig): Promise<Candidate[]> {
  const r = await client.query<{ name: string; parent: boolean | null; pending: boolean | null; bound: string | null; comment: string | null }>(
    `SELECT c.relname AS name, i.inhparent = to_regclass($2) AS parent, i.inhdetachpending AS pending,
            pg_get_expr(c.relpartbound, c.oid) AS bound, obj_description(c.oid, 'pg_class') AS comment
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname ~ '__f[0-9]+$' ORDER BY c.relname`,
    [config.schema, qualifiedTableName(config)]);
  const found: Candidate[] = [];
  for (const row of r.rows) {
    const fileId = Number(/__f([0-9]+)$/.exec(row.name)?.[1]);
    if (!Number.isSafeInteger(fileId) || partitionName(config.table, fileId) !== row.name) continue;
    const attached = row.parent !== null;
    if (attached ? !row.parent || row.bound !== `FOR VALUES IN ('${fileId}')` : row.comment !== partitionComment(config, fileId)) continue;
    found.push({ fileId, name: row.name, attached, pending: row.pending === true });
  }
  if (found.length === 0) return found;
  const dead = await client.query<{ id: string }>('SELECT id::text AS id FROM file_metadata WHERE id = ANY($1::bigint[]) AND status = ANY($2)',
    [found.map((c) => c.fileId), NOT_LIVE]);
  const ids = new Set(dead.rows.map((d) => Number(d.id)));
  // Detach-pending ones first: a table has at most one, and it must be finished before another detach starts.
  return found.filter((c) => ids.has(c.fileId)).sort((a, b) => Number(b.pending) - Number(a.pending));
}

/** Detaches (or finishes detaching) and drops one partition, under its version lock; false when it is left as it is. */
async function pruneOne(client: ClientBase, config: PostgresTableSinkConfig, c: Candidate, log: Logger): Promise<boolean> {
  const table = qualifiedTableName(config);
  const ref = `${quoteIdent(config.schema)}.${quoteIdent(c.name)}`;
  // Read again under the version lock: a forced reload may have taken the version meanwhile.
  const live = await client.query('SELECT 1 FROM file_metadata WHERE id = $1 AND status = ANY($2)', [c.fileId, NOT_LIVE]);
  if (live.rows.length === 0 || await hasRows(client, ref)) return false;
  if (c.attached) {
    if (await othersWrite(client, table)) return false;
    await client.query(`ALTER TABLE ${table} DETACH PARTITION ${ref} ${c.pending ? 'FINALIZE' : 'CONCURRENTLY'}`);
  }
  await client.query('BEGIN');
  try {
    await client.query(`LOCK TABLE ${ref} IN ACCESS EXCLUSIVE MODE`);
    if (await hasRows(client, ref)) {
      // Rows arrived between the look and the detach (written by hand): put the partition back, never lose them.
      await client.query(`ALTER TABLE ${table} ATTACH PARTITION ${ref} FOR VALUES IN (${c.fileId})`);
      await client.query('COMMIT');
      log.warn('a partition of a replaced file version had rows after all; attached again, not dropped', { table, partition: c.name });
      return false;
    }
    await client.query(`DROP TABLE ${ref}`);
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function hasRows(client: ClientBase, ref: string): Promise<boolean> {
  return (await client.query<{ has: boolean }>(`SELECT EXISTS (SELECT 1 FROM ONLY ${ref}) AS has`)).rows[0].has;
}

/** Whether another session holds or waits for a lock stronger than a reader's on the table (a load in its transaction). */
async function othersWrite(client: ClientBase, table: string): Promise<boolean> {
  const r = await client.query<{ busy: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'relation' AND relation = to_regclass($1) AND pid <> pg_backend_pid()
     AND mode <> 'AccessShareLock') AS busy`, [table]);
  return r.rows[0].busy;
}

/**
 * The sweep after a file's claim transaction committed, on a new connection
 * like `claim` (or `connect`'s), closed afterwards. Never throws.
 */
export async function pruneAfterCommit(
  claim: ClientBase, config: PostgresTableSinkConfig, options: PruneOptions & { readonly connect?: ConnectWorker },
): Promise<string[]> {
  if ((options.timeLeftMs ?? Infinity) < MIN_SWEEP_MS) return [];
  let conn;
  try {
    conn = await (options.connect ?? connectionsLike(claim))();
  } catch (err) {
    options.log.warn('could not connect to drop the partitions of replaced file versions; the next load of the table tries again', {
      table: qualifiedTableName(config), error: errorMessage(err),
    });
    return [];
  }
  try {
    return await prunePartitions(conn.client, config, options);
  } finally {
    await conn.close().catch(() => undefined);
  }
}
