/**
 * Recording an attempt that did not succeed: mark the row failed (on a new
 * connection if the run's own session is what died), write the failed result
 * and notify; or, when the host stopped the run, mark it for the next run
 * without a message.
 */
import type { PoolClient } from 'pg';
import { interruptReason } from './deadline';
import { FileOutcome } from './outcome';
import type { ProcessDeps } from './process-file';
import { reportFailure } from './report';
import { identity, Timing, timesFrom } from './run-timing';
import { markFailedDiscardingChunks } from '../checkpoint/chunked-attempt';
import { InputError } from '../contract/errors';
import { errorMessage } from '../contract/logger';
import { FileRef, FileSource } from '../contract/source';
import { readCheckpoint } from '../ledger/checkpoints';
import { markFailed, tryLockVersion, unlockVersion } from '../ledger/file-metadata';

/** A failed outcome: nothing of the attempt is loaded. */
function failedOutcome<S extends 'failed' | 'interrupted'>(
  source: FileSource, ref: FileRef | undefined, times: Omit<ReturnType<typeof timesFrom>, 'finishedAt'>,
  fields: Pick<FileOutcome, 'fileId' | 'attempt' | 'error' | 'errorKind' | 'retry' | 'cause'> & { status: S },
): FileOutcome & { status: S } {
  return { ...identity(source, ref), rows: null, rowsRejected: null, ...times, ...fields };
}

export async function failure(
  client: PoolClient | undefined, ref: FileRef | undefined, source: FileSource, timing: Timing, err: unknown, deps: ProcessDeps,
  fileId?: number, attempt?: number,
): Promise<FileOutcome> {
  if (deps.interrupt?.aborted) return interrupted(client, ref, source, timing, err, deps, fileId, attempt);
  const { finishedAt, ...times } = timesFrom(timing);
  const error = errorMessage(err);
  const errorKind = err instanceof InputError ? 'input' : 'internal';
  let recorder = client;
  let fresh: PoolClient | undefined;
  if (client && fileId !== undefined) {
    try {
      const mark = () => markFailed(client, fileId, error, errorKind, finishedAt);
      // A chunked load may have committed chunks: a file that failed on its content keeps none.
      if (errorKind === 'input' && deps.sinks.length > 0) {
        await markFailedDiscardingChunks(client, fileId, deps.sinks, mark);
      } else {
        await mark();
      }
    } catch (dbErr) {
      fresh = await markFailedAfresh(fileId, error, errorKind, finishedAt, deps);
      recorder = fresh;
      if (!fresh) deps.log.error('could not mark the file failed', { key: source.key, error: errorMessage(dbErr) });
    }
  }
  try {
    return await reportFailure(recorder, ref, failedOutcome(source, ref, times, {
      status: 'failed' as const, fileId, attempt, error, errorKind, retry: errorKind === 'internal', cause: err,
    }), deps);
  } finally {
    if (fresh) {
      await unlockVersion(fresh, fileId!).then(() => fresh!.release(), () => fresh!.release(true));
    }
  }
}

/**
 * When the run's own session is what failed (server restarted, backend
 * terminated, network cut), records the failure on a new connection, if the
 * server takes one again by now and no other run has claimed the version
 * since the dead session's locks went. Returns that connection, holding the
 * version's lock, or undefined (the row then stays `processing` until the
 * retry).
 */
const FRESH_CONNECT_MS = 2000;

async function markFailedAfresh(
  fileId: number, error: string, errorKind: 'input' | 'internal', at: Date, deps: ProcessDeps,
): Promise<PoolClient | undefined> {
  let fresh: PoolClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    // Bounded: an unreachable server must not eat the time kept back to write the result and notify.
    const connecting = deps.database.connect();
    const gaveUp = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), FRESH_CONNECT_MS); });
    fresh = await Promise.race([connecting, gaveUp]);
    if (!fresh) {
      connecting.then((late) => late.release(), () => undefined);
      return undefined;
    }
    if (!(await tryLockVersion(fresh, fileId))) {
      fresh.release();
      return undefined;
    }
    try {
      await markFailed(fresh, fileId, error, errorKind, at);
    } catch (err) {
      await unlockVersion(fresh, fileId);
      throw err;
    }
    return fresh;
  } catch {
    fresh?.release(true);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stopped by the host: the open transaction was rolled back. The retry does
 * it all again, or, for a chunked load, resumes after the last committed chunk.
 */
async function interrupted(
  client: PoolClient | undefined, ref: FileRef | undefined, source: FileSource, timing: Timing, err: unknown, deps: ProcessDeps,
  fileId?: number, attempt?: number,
): Promise<FileOutcome> {
  const { finishedAt, ...times } = timesFrom(timing);
  const progress = client && fileId !== undefined && deps.checkpointEvery
    ? await readCheckpoint(client, fileId).catch(() => undefined) : undefined;
  const error = `interrupted (${interruptReason(deps.interrupt!)})${attempt !== undefined ? ` during attempt ${attempt}` : ' before the attempt started'}: `
    + (progress
      ? `the open chunk was rolled back; ${progress.rowsLoaded} rows are committed up to line ${progress.nextLine - 1}, and the next run resumes there`
      : 'rolled back, nothing of this attempt is loaded; the file is processed again by the next run');
  if (client && fileId !== undefined && attempt !== undefined) {
    try {
      await markFailed(client, fileId, error, 'internal', finishedAt);
    } catch (dbErr) {
      deps.log.error('could not mark the interrupted attempt; its row stays processing, which is retried too', { key: source.key, error: errorMessage(dbErr) });
    }
  }
  deps.log.warn('file interrupted', { bucket: source.bucket, key: source.key, version: ref?.version, error, cause: errorMessage(err) });
  return {
    ...failedOutcome(source, ref, times, { status: 'interrupted', fileId, attempt, error, errorKind: 'internal', retry: true, cause: err }),
    ...(progress ? { rowsCommitted: progress.rowsLoaded } : {}),
  };
}
