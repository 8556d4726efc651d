/**
 * Recording an attempt that did not succeed: mark the row failed (on a new
 * connection if the run's own session is what died), write the failed result
 * and notify; or, when the host stopped the run, mark it for the next run
 * without a message.
 */
import { interruptReason } from './deadline';
import { discardRows } from './finish-attempt';
import { FileOutcome } from './outcome';
import type { ProcessDeps } from './process-file';
import { reportFailure } from './report';
import { identity, Timing, timesFrom } from './run-timing';
import { InputError } from '../contract/errors';
import { FileClaim, LedgerTransaction } from '../contract/ledger';
import { errorMessage } from '../contract/logger';
import { FileRef, FileSource } from '../contract/source';

/** A failed outcome: nothing of the attempt is loaded. */
function failedOutcome<S extends 'failed' | 'interrupted'>(
  source: FileSource, ref: FileRef | undefined, times: Omit<ReturnType<typeof timesFrom>, 'finishedAt'>,
  fields: Pick<FileOutcome, 'fileId' | 'attempt' | 'error' | 'errorKind' | 'retry' | 'cause'> & { status: S },
): FileOutcome & { status: S } {
  return { ...identity(source, ref), rows: null, rowsRejected: null, ...times, ...fields };
}

export async function failure(
  claim: FileClaim | undefined, ref: FileRef | undefined, source: FileSource, timing: Timing, err: unknown, deps: ProcessDeps,
  attempt?: number,
): Promise<FileOutcome> {
  if (deps.interrupt?.aborted) return interrupted(claim, ref, source, timing, err, deps, attempt);
  const { finishedAt, ...times } = timesFrom(timing);
  const error = errorMessage(err);
  const errorKind = err instanceof InputError ? 'input' : 'internal';
  let recorded = claim;
  if (claim) {
    try {
      // A chunked load may have committed chunks: a file that failed on its content keeps none
      // (also when this attempt loaded in one transaction: an earlier, chunked one may have).
      const discard = errorKind === 'input' && deps.sinks.length > 0
        ? async (tx: LedgerTransaction) => {
          if (await tx.readCheckpoint()) await discardRows(tx, deps.sinks, [claim.fileId]);
        }
        : undefined;
      await claim.markFailed(error, errorKind, finishedAt, discard);
    } catch (dbErr) {
      recorded = undefined;
      deps.log.error('could not mark the file failed', { key: source.key, error: errorMessage(dbErr) });
    }
  }
  return reportFailure(recorded, ref, failedOutcome(source, ref, times, {
    status: 'failed' as const, fileId: claim?.fileId, attempt, error, errorKind, retry: errorKind === 'internal', cause: err,
  }), deps);
}

/**
 * Stopped by the host: the open transaction was rolled back. The retry does
 * it all again, or, for a chunked load, resumes after the last committed chunk.
 */
async function interrupted(
  claim: FileClaim | undefined, ref: FileRef | undefined, source: FileSource, timing: Timing, err: unknown, deps: ProcessDeps,
  attempt?: number,
): Promise<FileOutcome> {
  const { finishedAt, ...times } = timesFrom(timing);
  const progress = claim && deps.checkpointEvery ? await claim.readCheckpoint().catch(() => undefined) : undefined;
  const error = `interrupted (${interruptReason(deps.interrupt!)})${attempt !== undefined ? ` during attempt ${attempt}` : ' before the attempt started'}: `
    + (progress
      ? `the open chunk was rolled back; ${progress.rowsLoaded} rows are committed up to line ${progress.nextLine - 1}, and the next run resumes there`
      : 'rolled back, nothing of this attempt is loaded; the file is processed again by the next run');
  if (claim && attempt !== undefined) {
    try {
      await claim.markFailed(error, 'internal', finishedAt);
    } catch (dbErr) {
      deps.log.error('could not mark the interrupted attempt; its row stays processing, which is retried too', { key: source.key, error: errorMessage(dbErr) });
    }
  }
  deps.log.warn('file interrupted', { bucket: source.bucket, key: source.key, version: ref?.version, error, cause: errorMessage(err) });
  return {
    ...failedOutcome(source, ref, times, { status: 'interrupted', fileId: claim?.fileId, attempt, error, errorKind: 'internal', retry: true, cause: err }),
    ...(progress ? { rowsCommitted: progress.rowsLoaded } : {}),
  };
}
