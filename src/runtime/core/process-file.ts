/**
 * The processing core shared by the Lambda handler and the CLI: one input
 * file version in, one outcome out. Never throws for a file problem; a failed
 * outcome carries `cause` and says in `retry` whether the host should deliver
 * the event again (only for failures of the pipeline itself: a content error
 * is final).
 *
 * Sequence and what a crash at each point leaves behind:
 *
 * 1. resolve the version and claim it in the ledger (../contract/ledger.ts:
 *    PostgreSQL's `file_metadata` with advisory locks, or DynamoDB with
 *    leases): the record is created if new, the version's hold is tried
 *    (held elsewhere: `in-progress`, done) and the key's waited for
 *    (another version of the key is being processed), within the time left.
 *    Crash: nothing, or a `processing` record the retry picks up.
 * 2. re-read the row under the locks: a final status, or a failure on the
 *    content, means duplicate — nothing is written or sent (except a success
 *    or content-failure message that a crash or an SNS outage kept from
 *    being sent, see `notified_at`).
 * 3. look at the version: deleted (`gone`) or older than the version of the
 *    key already loaded (`superseded`) is recorded and changes nothing else.
 * 4. mark the attempt started (committed: attempts, started_at).
 * 5. the attempt (./attempt.ts): count or load, replace the earlier
 *    versions' rows, rejects, backup, result, and `succeeded` in one
 *    transaction. Crash: the retry redoes it all.
 * 6. publish to SNS, then set `notified_at`. Crash: the retry is a duplicate
 *    that sends the missing message.
 * 7. the sinks' work after the commit (`afterCommit`: the table sink drops the
 *    emptied partitions of replaced versions). Crash: the next load does it.
 * On any error in 5: roll back, mark `failed` with the reason (rows_count
 * NULL), write the failed result, publish the failure, return it.
 * Interrupted by the host (`interrupt`, CLI `run` only): streams are
 * destroyed and the running statement cancelled, the transaction rolls back,
 * the attempt is marked `failed` / `internal` ("interrupted ..."), so any
 * later run processes it again; no result, message or metric (not an outcome).
 */
import { runAttempt } from './attempt';
import { Budget, FINISH_MARGIN_MS, isDeadlineError, startBudget } from './deadline';
import { failure } from './failure';
import { FileOutcome } from './outcome';
import { notify, ReportDeps } from './report';
import { identity, Timing, timesFrom } from './run-timing';
import { isOlderThan, supersededReason } from './version-order';
import { FileClaim, FileRow, FINAL_STATUSES, Ledger } from '../contract/ledger';
import { errorMessage } from '../contract/logger';
import { RowSink } from '../contract/sink-api';
import { FileRef, FileSource, FileStat, GoneReason, ObjectGoneError } from '../contract/source';
import type { CommitFollower } from '../load/sink';

export interface ProcessDeps extends ReportDeps {
  /** Where file versions are claimed and recorded (PostgreSQL's `file_metadata`, or DynamoDB). */
  readonly ledger: Ledger;
  readonly sinks: readonly RowSink[];
  readonly clock?: () => Date;
  /**
   * Process again a version whose last attempt failed on its content
   * (InputError). Off for Lambda deliveries, which would only fail the same
   * way and e-mail again; on for the CLI, where a rerun is deliberate.
   */
  readonly retryInputErrors?: boolean;
  /** Process the version even if it already reached a final outcome (CLI `--force`). */
  readonly force?: boolean;
  /**
   * Rows per checkpointed chunk (`PIPELINE_CHECKPOINT_EVERY`, CLI
   * `--checkpoint-every`): each chunk commits with its checkpoint, and a
   * later attempt resumes after the last one. Unset or 0: one transaction
   * per file.
   */
  readonly checkpointEvery?: number;
  /** Milliseconds the host leaves this run (Lambda: `context.getRemainingTimeInMillis`); unset: no limit. */
  readonly remainingMs?: () => number;
  /** Kept back from `remainingMs` to record a failure; default FINISH_MARGIN_MS. */
  readonly finishMarginMs?: number;
  /**
   * Fires when the host must stop (CLI `run`: SIGTERM, SIGINT): the attempt
   * is rolled back and the outcome is `interrupted` (retried). Unset: never.
   */
  readonly interrupt?: AbortSignal;
}

/** An outcome in which this run changed nothing (duplicate, in progress, skipped). */
function untouched(
  status: 'duplicate' | 'in-progress' | 'superseded' | 'gone', source: FileSource, ref: FileRef | undefined, timing: Timing,
  reason: string, extra: Partial<FileOutcome> = {},
): FileOutcome {
  const { finishedAt: _f, ...times } = timesFrom(timing);
  return { ...identity(source, ref), status, rows: null, rowsRejected: null, ...times, reason, retry: false, ...extra };
}

export async function processFile(source: FileSource, deps: ProcessDeps): Promise<FileOutcome> {
  const clock = deps.clock ?? (() => new Date());
  const timing: Timing = { started: clock(), clock };
  const budget = startBudget(deps.remainingMs, deps.finishMarginMs, deps.interrupt);
  try {
    return await claimAndProcess(source, deps, timing, budget);
  } finally {
    budget.dispose();
  }
}

async function claimAndProcess(source: FileSource, deps: ProcessDeps, timing: Timing, budget: Budget): Promise<FileOutcome> {
  let ref: FileRef | undefined;
  let claim: FileClaim;
  try {
    ref = await source.resolve();
    const claimed = await deps.ledger.claim(ref, budget);
    if (claimed.kind === 'version-busy') {
      deps.log.info('version already being processed by another run; leaving it to that run', { key: ref.key, version: ref.version });
      return untouched('in-progress', source, ref, timing, 'another run is processing this version right now', { fileId: claimed.fileId });
    }
    if (claimed.kind === 'key-busy') {
      deps.log.warn('another version of the key is still being processed; delivering this one again later', { key: ref.key, version: ref.version });
      return untouched('in-progress', source, ref, timing, 'another version of this key is being processed; this one is retried later', {
        fileId: claimed.fileId, retry: true,
      });
    }
    claim = claimed.claim;
  } catch (err) {
    if (err instanceof ObjectGoneError) return untouched(err.reason, source, ref, timing, err.message);
    return failure(undefined, ref, source, timing, err, deps);
  }
  let healthy = true;
  try {
    return await processClaimed(claim, ref, source, timing, budget, deps);
  } catch (err) {
    healthy = false;
    throw err;
  } finally {
    await claim.release(healthy);
  }
}

async function processClaimed(
  claim: FileClaim, ref: FileRef, source: FileSource, timing: Timing, budget: Budget, deps: ProcessDeps,
): Promise<FileOutcome> {
  const fileId = claim.fileId;
  let attempt: number;
  let stat: FileStat;
  try {
    const row = await claim.read();
    if (FINAL_STATUSES.has(row.status) && !deps.force) return await duplicate(claim, row, ref, source, timing, deps);
    if (row.status === 'failed' && row.errorKind === 'input' && !deps.retryInputErrors && !deps.force) {
      // Already recorded: a second delivery of a bad file changes nothing, and sends only a failure message never sent.
      return await failedOnContent(claim, row, ref, source, timing, deps);
    }
    try {
      stat = await source.stat();
    } catch (err) {
      if (err instanceof ObjectGoneError) return await skip(claim, err.reason, err.message, ref, source, timing, deps);
      throw err;
    }
    await claim.recordModifiedAt(stat.modifiedAt);
    const newest = deps.force ? undefined : await claim.newestLoadedVersion();
    if (newest && isOlderThan({ sequencer: ref.sequencer ?? null, modifiedAt: stat.modifiedAt ?? null }, newest)) {
      return await skip(claim, 'superseded', supersededReason(source.description, newest.id), ref, source, timing, deps);
    }
    attempt = await claim.markStarted(timing.started);
  } catch (err) {
    return failure(undefined, ref, source, timing, err, deps);
  }
  let outcome: FileOutcome & { status: 'succeeded' };
  try {
    const done = await runAttempt(claim, ref, source, stat, {
      storage: deps.storage,
      sinks: deps.sinks,
      clock: timing.clock,
      budget,
      log: deps.log,
      checkpointEvery: deps.checkpointEvery,
      force: deps.force,
    }, timing.started);
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
      ...(done.resumedFrom !== undefined ? { resumedFrom: done.resumedFrom } : {}),
      ...(done.sinkSummaries ? { sinkSummaries: done.sinkSummaries } : {}),
      ...(done.replaced.length ? { reason: `replaced the earlier versions' rows (file_metadata ids ${done.replaced.join(', ')})` } : {}),
    };
  } catch (err) {
    // Deleted or overwritten between the look and the read: the same final outcome as before it.
    if (err instanceof ObjectGoneError) return skip(claim, err.reason, err.message, ref, source, timing, deps);
    const cause = isDeadlineError(err, budget)
      ? new Error(`ran out of time: stopped after ${budget.workMs} ms to leave time to record this before the processor's time limit; `
        + (deps.checkpointEvery
          ? 'the chunks committed so far are kept and the next delivery resumes after them: '
          : 'the file is delivered again (give the processor a longer timeout or more memory, set checkpointEvery, '
            + 'or use a container processor for files this large): ')
        + errorMessage(err))
      : err;
    return failure(claim, ref, source, timing, cause, deps, attempt);
  }
  deps.log.info('file succeeded', { bucket: ref.bucket, key: ref.key, version: ref.version, rows: outcome.rows });
  deps.metrics?.record(outcome);
  try {
    await notify(claim, outcome, deps);
  } catch (err) {
    // The file is done; delivering again makes the retry (a duplicate) send the message.
    return { ...outcome, cause: err, retry: true, error: `processed, but the notification failed: ${errorMessage(err)}` };
  } finally {
    await followCommit(deps, fileId);
  }
  return outcome;
}

/** Runs the sinks' after-commit work; a failure there is a warning, never a failed file (the file is committed). */
async function followCommit(deps: ProcessDeps, fileId: number): Promise<void> {
  for (const sink of deps.sinks as readonly (RowSink & Partial<CommitFollower>)[]) {
    try {
      // What is left of the host's time limit, less the margin kept to record a failure: the sweep starts no wait past it.
      const timeLeftMs = deps.remainingMs ? deps.remainingMs() - (deps.finishMarginMs ?? FINISH_MARGIN_MS) : undefined;
      await sink.afterCommit?.(fileId, timeLeftMs);
    } catch (err) {
      deps.log.warn('a sink\'s work after the file committed failed; the file is loaded', { fileId, error: errorMessage(err) });
    }
  }
}

async function skip(
  claim: FileClaim, status: GoneReason, reason: string, ref: FileRef, source: FileSource, timing: Timing, deps: ProcessDeps,
): Promise<FileOutcome> {
  await claim.markSkipped(status, reason, timing.clock());
  deps.log.info(`version ${status}: nothing changed`, { bucket: ref.bucket, key: ref.key, version: ref.version, reason });
  return untouched(status, source, ref, timing, reason, { fileId: claim.fileId });
}

async function duplicate(
  claim: FileClaim, row: FileRow, ref: FileRef, source: FileSource, timing: Timing, deps: ProcessDeps,
): Promise<FileOutcome> {
  const when = row.finishedAt ? ` at ${row.finishedAt.toISOString()}` : '';
  const outcome = untouched('duplicate', source, ref, timing, `this version was already ${row.status}${when} (file_metadata id ${row.id}, attempt ${row.attempts})`, {
    fileId: row.id, attempt: row.attempts, rows: row.rowsCount, rowsRejected: row.rowsRejected,
  });
  if (row.status === 'succeeded') {
    const unsent = await sendMissedNotification(claim, row, outcome, 'succeeded', ref, deps);
    if (unsent) return { ...outcome, cause: unsent.error, retry: true, error: `processed, but the notification failed: ${errorMessage(unsent.error)}` };
  }
  deps.log.info('duplicate delivery ignored', { bucket: ref.bucket, key: ref.key, version: ref.version });
  return outcome;
}

async function failedOnContent(
  claim: FileClaim, row: FileRow, ref: FileRef, source: FileSource, timing: Timing, deps: ProcessDeps,
): Promise<FileOutcome> {
  const outcome = untouched('duplicate', source, ref, timing, `this version already failed on its content: ${row.error}`, {
    fileId: row.id, attempt: row.attempts, error: row.error ?? undefined, errorKind: 'input',
  });
  const unsent = await sendMissedNotification(claim, row, outcome, 'failed', ref, deps);
  if (unsent) {
    return { ...outcome, cause: unsent.error, retry: true, reason: `${outcome.reason}; its failure notification could not be sent again: ${errorMessage(unsent.error)}` };
  }
  return outcome;
}

/**
 * Sends the final message of an earlier attempt that recorded its outcome but
 * could not send it (`notified_at` unset). Returns the error when sending
 * fails again, so the delivery is retried; undefined when it was sent or
 * nothing was owed.
 */
async function sendMissedNotification(
  claim: FileClaim, row: FileRow, outcome: FileOutcome, status: 'succeeded' | 'failed', ref: FileRef, deps: ProcessDeps,
): Promise<{ error: unknown } | undefined> {
  if (row.notifiedAt !== null || !deps.notifier || !row.startedAt || !row.finishedAt) return undefined;
  try {
    await notify(claim, {
      ...outcome,
      status,
      started: row.startedAt.toISOString(),
      finished: row.finishedAt.toISOString(),
      durationMs: row.finishedAt.getTime() - row.startedAt.getTime(),
    }, deps);
  } catch (error) {
    return { error };
  }
  deps.log.info(`sent the ${status === 'succeeded' ? 'success' : 'failure'} notification a previous attempt did not`, { key: ref.key, version: ref.version });
  return undefined;
}
