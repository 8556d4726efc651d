/**
 * Reads and writes `file_metadata`, the audit record of every file version.
 *
 * Concurrency: every writer of a row first takes a session advisory lock on
 * it (`lockFile`), so two deliveries of the same file run one after the
 * other and the second sees the first one's outcome. A session lock (rather
 * than a row lock) lets the start of an attempt commit on its own, so
 * `attempts` and `started_at` show work in progress and count attempts that
 * crashed; the lock still dies with the connection if the process does.
 */
import type { ClientBase } from 'pg';
import { FileRef } from './source';

export type FileStatus = 'processing' | 'succeeded' | 'failed';
export type ErrorKind = 'input' | 'internal';

export interface FileRow {
  readonly id: number;
  readonly status: FileStatus;
  readonly rowsCount: number | null;
  readonly rowsRejected: number | null;
  readonly attempts: number;
  readonly error: string | null;
  readonly errorKind: ErrorKind | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly notifiedAt: Date | null;
}

const LOCK_KEY = "hashtextextended('cdk-data-pipeline/file_metadata/' || $1::text, 0)";

const nullableNumber = (v: string | null) => (v === null ? null : Number(v));

/** Creates the row on first sight of this version; returns its id either way. */
export async function ensureFileRow(client: ClientBase, ref: FileRef): Promise<number> {
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO file_metadata (bucket, key, version, version_kind, filename, status)
     VALUES ($1, $2, $3, $4, $5, 'processing')
     ON CONFLICT (bucket, key, version) DO NOTHING
     RETURNING id`,
    [ref.bucket, ref.key, ref.version, ref.versionKind, ref.filename],
  );
  if (inserted.rows.length) return Number(inserted.rows[0].id);
  const existing = await client.query<{ id: string }>(
    'SELECT id FROM file_metadata WHERE bucket = $1 AND key = $2 AND version = $3',
    [ref.bucket, ref.key, ref.version],
  );
  return Number(existing.rows[0].id);
}

/** Waits while another delivery of the same file holds it. */
export async function lockFile(client: ClientBase, id: number): Promise<void> {
  await client.query(`SELECT pg_advisory_lock(${LOCK_KEY})`, [id]);
}

export async function unlockFile(client: ClientBase, id: number): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [id]);
}

export async function readFileRow(client: ClientBase, id: number, forUpdate = false): Promise<FileRow> {
  const res = await client.query(
    `SELECT id, status, rows_count, rows_rejected, attempts, error, error_kind, started_at, finished_at, notified_at
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
  };
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

export async function markSucceeded(client: ClientBase, id: number, rows: number, rowsRejected: number, at: Date): Promise<void> {
  await client.query(
    `UPDATE file_metadata
     SET status = 'succeeded', rows_count = $2, rows_rejected = $3, finished_at = $4, updated_at = now()
     WHERE id = $1`,
    [id, rows, rowsRejected, at],
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
