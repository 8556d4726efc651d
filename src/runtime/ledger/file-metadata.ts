/**
 * Reads and writes `file_metadata`, the audit record of every file version.
 *
 * Concurrency: every writer of a row holds two session advisory locks. The
 * version lock (`tryLockVersion`) is only tried: a second delivery of a
 * version that is being processed ends at once as "in progress elsewhere"
 * instead of waiting for it. The key lock (`lockKey`) is waited for (bounded
 * by the session's `lock_timeout`): versions of one key are processed one
 * after the other, so a newer version can replace an older one's rows. Session
 * locks (rather than row locks) let the start of an attempt commit on its
 * own, so `attempts` and `started_at` show work in progress and count
 * attempts that crashed; the locks still die with the connection if the
 * process does.
 */
import type { ClientBase } from 'pg';
import type { ErrorKind, FileRow, LoadedVersion } from '../contract/ledger';
import { FileRef } from '../contract/source';


export { FINAL_STATUSES } from '../contract/ledger';
export type { ErrorKind, FileRow, FileStatus, LoadedVersion } from '../contract/ledger';

const VERSION_LOCK = "hashtextextended('cdk-data-pipeline/file_metadata/' || $1::text, 0)";
const KEY_LOCK = "hashtextextended('cdk-data-pipeline/object/' || $1::text || '/' || $2::text, 0)";

const nullableNumber = (v: string | null) => (v === null ? null : Number(v));

/** Creates the row on first sight of this version; returns its id either way. */
export async function ensureFileRow(client: ClientBase, ref: FileRef): Promise<number> {
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO file_metadata (bucket, key, version, version_kind, filename, status, sequencer)
     VALUES ($1, $2, $3, $4, $5, 'processing', $6)
     ON CONFLICT (bucket, key, version) DO NOTHING
     RETURNING id`,
    [ref.bucket, ref.key, ref.version, ref.versionKind, ref.filename, ref.sequencer ?? null],
  );
  if (inserted.rows.length) return Number(inserted.rows[0].id);
  const existing = await client.query<{ id: string }>(
    'SELECT id FROM file_metadata WHERE bucket = $1 AND key = $2 AND version = $3',
    [ref.bucket, ref.key, ref.version],
  );
  return Number(existing.rows[0].id);
}

/** False when another delivery of the same version holds it right now. */
export async function tryLockVersion(client: ClientBase, id: number): Promise<boolean> {
  const res = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${VERSION_LOCK}) AS locked`, [id]);
  return res.rows[0].locked;
}

export async function unlockVersion(client: ClientBase, id: number): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${VERSION_LOCK})`, [id]);
}

/** Waits, at most the session's `lock_timeout`, while another version of the key is processed. */
export async function lockKey(client: ClientBase, ref: { bucket: string; key: string }): Promise<void> {
  await client.query(`SELECT pg_advisory_lock(${KEY_LOCK})`, [ref.bucket, ref.key]);
}

export async function unlockKey(client: ClientBase, ref: { bucket: string; key: string }): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${KEY_LOCK})`, [ref.bucket, ref.key]);
}

export async function readFileRow(client: ClientBase, id: number, forUpdate = false): Promise<FileRow> {
  const res = await client.query(
    `SELECT id, status, rows_count, rows_rejected, attempts, error, error_kind, started_at, finished_at, notified_at,
            sequencer, object_modified_at
     FROM file_metadata WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const r = res.rows[0];
  return {
    id: Number(r.id),
    status: r.status,
    rowsCount: nullableNumber(r.rows_count),
    rowsRejected: nullableNumber(r.rows_rejected),
    attempts: r.attempts,
    error: r.error,
    errorKind: r.error_kind,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    notifiedAt: r.notified_at,
    sequencer: r.sequencer,
    objectModifiedAt: r.object_modified_at,
  };
}

/** Versions load in order (older ones are superseded), so the last one to finish is the newest. */
export async function newestLoadedVersion(
  client: ClientBase, ref: { bucket: string; key: string }, exceptId: number,
): Promise<LoadedVersion | undefined> {
  const res = await client.query(
    `SELECT id, sequencer, object_modified_at FROM file_metadata
     WHERE bucket = $1 AND key = $2 AND status = 'succeeded' AND id <> $3
     ORDER BY finished_at DESC, id DESC LIMIT 1`,
    [ref.bucket, ref.key, exceptId],
  );
  const r = res.rows[0];
  return r ? { id: Number(r.id), sequencer: r.sequencer, modifiedAt: r.object_modified_at } : undefined;
}

/** Every loaded earlier version of the key, locked until the caller's transaction ends. */
export async function lockLoadedVersions(client: ClientBase, ref: { bucket: string; key: string }, exceptId: number): Promise<number[]> {
  const res = await client.query<{ id: string }>(
    'SELECT id FROM file_metadata WHERE bucket = $1 AND key = $2 AND status = \'succeeded\' AND id <> $3 ORDER BY id FOR UPDATE',
    [ref.bucket, ref.key, exceptId],
  );
  return res.rows.map((r) => Number(r.id));
}

export async function markReplaced(client: ClientBase, ids: readonly number[], by: number): Promise<void> {
  if (ids.length === 0) return;
  await client.query(
    'UPDATE file_metadata SET status = \'replaced\', replaced_by = $2, updated_at = now() WHERE id = ANY($1::bigint[])',
    [ids, by],
  );
}

export async function recordModifiedAt(client: ClientBase, id: number, at: Date | undefined): Promise<void> {
  if (!at) return;
  await client.query('UPDATE file_metadata SET object_modified_at = $2, updated_at = now() WHERE id = $1', [id, at]);
}

/** A final outcome without an attempt: the version was superseded or is gone. */
export async function markSkipped(client: ClientBase, id: number, status: 'superseded' | 'gone', reason: string, at: Date): Promise<void> {
  await client.query(
    `UPDATE file_metadata
     SET status = $2, error = $3, error_kind = NULL, rows_count = NULL, rows_rejected = NULL, finished_at = $4, updated_at = now()
     WHERE id = $1`,
    [id, status, reason, at],
  );
}

/** Commits on its own (see the module comment); returns the attempt number. */
export async function markStarted(client: ClientBase, id: number, at: Date): Promise<number> {
  const res = await client.query<{ attempts: number }>(
    `UPDATE file_metadata
     SET status = 'processing', attempts = attempts + 1, started_at = $2, finished_at = NULL,
         error = NULL, error_kind = NULL, rows_count = NULL, rows_rejected = NULL, notified_at = NULL,
         updated_at = now()
     WHERE id = $1 RETURNING attempts`,
    [id, at],
  );
  return res.rows[0].attempts;
}

export async function markSucceeded(
  client: ClientBase, id: number, rows: number, rowsRejected: number, at: Date, resumedFrom?: number,
): Promise<void> {
  await client.query(
    `UPDATE file_metadata
     SET status = 'succeeded', rows_count = $2, rows_rejected = $3, finished_at = $4, resumed_from = $5, updated_at = now()
     WHERE id = $1`,
    [id, rows, rowsRejected, at, resumedFrom ?? null],
  );
}

export async function markFailed(client: ClientBase, id: number, error: string, kind: ErrorKind, at: Date): Promise<void> {
  await client.query(
    `UPDATE file_metadata
     SET status = 'failed', rows_count = NULL, rows_rejected = NULL, error = $2, error_kind = $3,
         finished_at = $4, updated_at = now()
     WHERE id = $1`,
    [id, error, kind, at],
  );
}

export async function markNotified(client: ClientBase, id: number): Promise<void> {
  await client.query('UPDATE file_metadata SET notified_at = now(), updated_at = now() WHERE id = $1', [id]);
}
