/**
 * The one window in which a reader could see part of a parallel load.
 *
 * The workers commit one after the other, and PostgreSQL reads a table's
 * partitions from the catalog, not from a transaction's snapshot: a
 * REPEATABLE READ or SERIALIZABLE transaction whose snapshot was taken
 * between two worker commits, and that reads the table only after the
 * partition is attached, would see the rows of the workers that committed
 * before its snapshot. (READ COMMITTED statements take their snapshot after
 * they have opened the table, so they see all of the file or none of it.)
 *
 * So before the partition is attached, the load waits until every
 * transaction that may hold such a snapshot has ended: those with a
 * snapshot (`backend_xmin`) that started before the last worker committed.
 * The pipeline's own sessions (application_name `cdk-data-pipeline...`)
 * only use READ COMMITTED and are not waited for. A session whose activity
 * this role may not see (another role's, without `pg_read_all_stats`) is
 * waited for if it is in a transaction at all. If they do not all end in
 * time, the caller loads the file through one connection instead, which has
 * no such window.
 */
import type { ClientBase } from 'pg';

export interface SnapshotWait {
  /** Server time just after the last worker committed. */
  readonly committedAt: string;
  /** This load's own backends (the claim connection and the workers). */
  readonly ownPids: readonly number[];
  readonly maxWaitMs: number;
  readonly pollMs?: number;
}

export interface SnapshotWaitResult {
  readonly ok: boolean;
  /** Sessions still open when the wait gave up (pid, application name, whether their activity is visible). */
  readonly blocking: readonly { pid: number; application: string | null; visible: boolean }[];
}

/**
 * The transactions to wait for, each with its virtual transaction id (visible
 * in pg_locks to every role), which changes when the transaction ends: a
 * session whose activity this role may see and that has a snapshot from a
 * transaction started before the last worker commit; a session whose
 * activity it may not see (state NULL), if it is in a transaction at all.
 * Idle sessions have no snapshot: the ones they take later come after the
 * commits.
 */
const RISKY = `SELECT a.pid, a.application_name AS application, a.state IS NOT NULL AS visible, l.virtualxid AS vxid
  FROM pg_stat_activity a
  JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'virtualxid' AND l.granted
  WHERE a.datname = current_database() AND a.pid <> ALL($1::int[]) AND a.usesysid IS NOT NULL
    -- Unseen sessions show no backend_type either; autovacuum workers run as no role.
    AND coalesce(a.backend_type, 'client backend') = 'client backend'
    AND coalesce(a.application_name, '') NOT LIKE 'cdk-data-pipeline%'
    AND (a.state IS NULL OR (a.backend_xmin IS NOT NULL AND a.xact_start < $2::timestamptz))`;

export async function waitForWindowSnapshots(client: ClientBase, w: SnapshotWait): Promise<SnapshotWaitResult> {
  const deadline = Date.now() + w.maxWaitMs;
  type Row = { pid: number; application: string | null; visible: boolean; vxid: string };
  let waiting = (await client.query<Row>(RISKY, [w.ownPids, w.committedAt])).rows;
  while (waiting.length > 0) {
    if (Date.now() >= deadline) return { ok: false, blocking: waiting.map(({ pid, application, visible }) => ({ pid, application, visible })) };
    await new Promise((r) => setTimeout(r, w.pollMs ?? 50));
    // Still the same transaction: the same virtual transaction id, whatever its state now.
    const running = await client.query<{ vxid: string }>("SELECT virtualxid AS vxid FROM pg_locks WHERE locktype = 'virtualxid' AND granted");
    const open = new Set(running.rows.map((r) => r.vxid));
    waiting = waiting.filter((r) => open.has(r.vxid));
  }
  return { ok: true, blocking: [] };
}
