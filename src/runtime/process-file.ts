/**
 * The processing core shared by the Lambda handler and the CLI: one input
 * file version in, one outcome out. Never throws for a file problem; a failed
 * outcome carries `cause` for the caller to rethrow (Lambda: retries and the
 * on-failure destination) or to turn into an exit code (CLI).
 *
 * Sequence and what a crash at each point leaves behind:
 *
 * 1. resolve the version, connect, create the `file_metadata` row if new and
 *    take the file's advisory lock (a second delivery waits here).
 *    Crash: nothing, or a `processing` row the retry picks up.
 * 2. re-read the row under the lock: `succeeded` means duplicate — nothing is
 *    written or sent (except a success message that a crash kept from being
 *    sent, see `notified_at`).
 * 3. mark the attempt started (committed: attempts, started_at).
 * 4. the attempt (./attempt.ts): count or load, rejects, backup, result, and
 *    `succeeded` in one transaction. Crash: the retry redoes it all.
 * 5. publish to SNS, then set `notified_at`. Crash: the retry is a duplicate
 *    that sends the missing message.
 * On any error in 4: roll back, mark `failed` with the reason (rows_count
 * NULL), write the failed result, publish the failure, return it.
 */
import type { PoolClient } from 'pg';
import { runAttempt } from './attempt';
import { Database } from './database';
import { InputError } from './errors';
import { ensureFileRow, FileRow, lockFile, markFailed, markStarted, readFileRow, unlockFile } from './file-metadata';
import { errorMessage } from './logger';
import { FileOutcome } from './outcome';
import { notify, ReportDeps, reportFailure } from './report';
import { RowSink } from './sink-api';
import { FileRef, FileSource } from './source';

export interface ProcessDeps extends ReportDeps {
  readonly database: Database;
  readonly sinks: readonly RowSink[];
  readonly clock?: () => Date;
  /**
   * Process again a version whose last attempt failed on its content
   * (InputError). Off for Lambda retries, which would only fail the same way
   * and e-mail again; on for the CLI, where a rerun is deliberate.
   */
  readonly retryInputErrors?: boolean;
}

interface Timing { readonly started: Date; readonly clock: () => Date }

function timesFrom(t: Timing, finished = t.clock()) {
  return {
    started: t.started.toISOString(),
    finished: finished.toISOString(),
    durationMs: finished.getTime() - t.started.getTime(),
    finishedAt: finished,
  };
}

function identity(source: FileSource, ref?: FileRef) {
  return { bucket: source.bucket, key: source.key, version: ref?.version ?? null, versionKind: ref?.versionKind ?? null };
}

export async function processFile(source: FileSource, deps: ProcessDeps): Promise<FileOutcome> {
  const clock = deps.clock ?? (() => new Date());
  const timing: Timing = { started: clock(), clock };
  let ref: FileRef | undefined;
  let client: PoolClient | undefined;
  let fileId: number | undefined;
  try {
    ref = await source.resolve();
    client = await deps.database.connect();
    fileId = await ensureFileRow(client, ref);
    await lockFile(client, fileId);
  } catch (err) {
    client?.release(true);
    return failure(undefined, ref, source, timing, err, deps);
  }
  let healthy = true;
  try {
    return await processLocked(client, fileId, ref, source, timing, deps);
  } catch (err) {
    healthy = false;
    throw err;
  } finally {
    // Ending the session is the fallback unlock if the explicit one fails.
    if (healthy) await unlockFile(client, fileId).catch(() => { healthy = false; });
    client.release(!healthy);
  }
}

async function processLocked(
  client: PoolClient, fileId: number, ref: FileRef, source: FileSource, timing: Timing, deps: ProcessDeps,
): Promise<FileOutcome> {
  let row: FileRow;
  let attempt: number;
  try {
    row = await readFileRow(client, fileId);
    if (row.status === 'succeeded') return await duplicate(client, row, ref, source, timing, deps);
    if (row.status === 'failed' && row.errorKind === 'input' && !deps.retryInputErrors) {
      // Already recorded and announced; fail again, quietly, so the event still ends in the DLQ.
      return {
        ...identity(source, ref),
        status: 'failed',
        fileId,
        attempt: row.attempts,
        rows: null,
        rowsRejected: null,
        ...timesFrom(timing),
        error: row.error ?? 'failed',
        errorKind: 'input',
        cause: new InputError(row.error ?? 'failed'),
      };
    }
    attempt = await markStarted(client, fileId, timing.started);
  } catch (err) {
    return failure(undefined, ref, source, timing, err, deps);
  }
  let outcome: FileOutcome & { status: 'succeeded' };
  try {
    const done = await runAttempt(client, fileId, ref, source, { storage: deps.storage, sinks: deps.sinks, clock: timing.clock }, timing.started);
    const { finishedAt: _f, ...times } = timesFrom(timing, done.finished);
    outcome = {
      ...identity(source, ref),
      status: 'succeeded',
      fileId,
      attempt,
      rows: done.rows,
      rowsRejected: done.rowsRejected,
      ...times,
      result: done.result,
      backup: done.backup,
      rejects: done.rejects,
    };
  } catch (err) {
    return failure(client, ref, source, timing, err, deps, fileId, attempt);
  }
  deps.log.info('file succeeded', { bucket: ref.bucket, key: ref.key, version: ref.version, rows: outcome.rows });
  deps.metrics?.record(outcome);
  try {
    await notify(client, outcome, deps);
  } catch (err) {
    // The file is done; rethrowing makes the retry (a duplicate) send the message.
    return { ...outcome, cause: err, error: `processed, but the notification failed: ${errorMessage(err)}` };
  }
  return outcome;
}

async function duplicate(
  client: PoolClient, row: FileRow, ref: FileRef, source: FileSource, timing: Timing, deps: ProcessDeps,
): Promise<FileOutcome> {
  const outcome: FileOutcome = {
    ...identity(source, ref),
    status: 'duplicate',
    fileId: row.id,
    attempt: row.attempts,
    rows: row.rowsCount,
    rowsRejected: row.rowsRejected,
    ...timesFrom(timing),
  };
  if (row.notifiedAt === null && deps.notifier && row.startedAt && row.finishedAt) {
    const finished = row.finishedAt;
    try {
      await notify(client, {
        ...outcome,
        status: 'succeeded',
        started: row.startedAt.toISOString(),
        finished: finished.toISOString(),
        durationMs: finished.getTime() - row.startedAt.getTime(),
      }, deps);
    } catch (err) {
      return { ...outcome, cause: err, error: `processed, but the notification failed: ${errorMessage(err)}` };
    }
    deps.log.info('sent the success notification a previous attempt did not', { key: ref.key, version: ref.version });
  }
  deps.log.info('duplicate delivery ignored', { bucket: ref.bucket, key: ref.key, version: ref.version });
  return outcome;
}

async function failure(
  client: PoolClient | undefined, ref: FileRef | undefined, source: FileSource, timing: Timing, err: unknown, deps: ProcessDeps,
  fileId?: number, attempt?: number,
): Promise<FileOutcome> {
  const { finishedAt, ...times } = timesFrom(timing);
  const error = errorMessage(err);
  const errorKind = err instanceof InputError ? 'input' : 'internal';
  if (client && fileId !== undefined) {
    try {
      await markFailed(client, fileId, error, errorKind, finishedAt);
    } catch (dbErr) {
      deps.log.error('could not mark the file failed', { key: source.key, error: errorMessage(dbErr) });
    }
  }
  return reportFailure(client, ref, {
    ...identity(source, ref),
    status: 'failed',
    fileId,
    attempt,
    rows: null,
    rowsRejected: null,
    ...times,
    error,
    errorKind,
    cause: err,
  }, deps);
}
