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
 * this role may not see (another role's, without `pg_read_all_stats`) counts
 * as one to wait for. If they do not all end in time, the caller loads the
 * file through one connection instead, which has no such window.
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

const RISKY = `SELECT pid, application_name AS application, xact_start IS NOT NULL OR state IS NOT NULL AS visible, xact_start::text AS started
  FROM pg_stat_activity
  WHERE backend_type = 'client backend' AND datname = current_database() AND pid <> ALL($1::int[])
    AND coalesce(application_name, '') NOT LIKE 'cdk-data-pipeline%'
    AND ((backend_xmin IS NOT NULL AND xact_start < $2::timestamptz) OR (state IS NULL AND xact_start IS NULL))`;

export async function waitForWindowSnapshots(client: ClientBase, w: SnapshotWait): Promise<SnapshotWaitResult> {
  const deadline = Date.now() + w.maxWaitMs;
  // A transaction counts until it ends: the same pid with another xact_start is a later one.
  type Row = { pid: number; application: string | null; visible: boolean; started: string | null };
  const first = await client.query<Row>(RISKY, [w.ownPids, w.committedAt]);
  let waiting = first.rows;
  while (waiting.length > 0) {
    if (Date.now() >= deadline) return { ok: false, blocking: waiting.map(({ pid, application, visible }) => ({ pid, application, visible })) };
    await new Promise((r) => setTimeout(r, w.pollMs ?? 50));
    const now = await client.query<Row>(RISKY, [w.ownPids, w.committedAt]);
    const still = new Map(now.rows.map((r) => [r.pid, r]));
    waiting = waiting.filter((r) => {
      const n = still.get(r.pid);
      return n !== undefined && n.started === r.started;
    });
  }
  return { ok: true, blocking: [] };
}
