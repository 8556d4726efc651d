/**
 * The end of a successful attempt, inside its (last) transaction: the rows
 * of versions that stopped part way removed, rejects, the earlier versions
 * marked replaced, backup, result, `succeeded` (the caller's transaction
 * then commits).
 * Shared by the one-transaction load (./attempt.ts) and the chunked one
 * (../checkpoint/chunked-attempt.ts).
 */
import { Readable } from 'stream';
import type { AttemptDeps, AttemptResult, CombinedOutcome } from './attempt';
import { toResultDocument } from './outcome';
import { LedgerTransaction } from '../contract/ledger';
import { RowSink } from '../contract/sink-api';
import { FileRef, FileStat } from '../contract/source';

export interface Finished {
  readonly fileId: number;
  readonly ref: FileRef;
  readonly stat: FileStat;
  readonly started: Date;
  /** Loaded earlier versions of the key (locked). */
  readonly earlier: number[];
  /** The whole file's rows, rejects and sink summaries. */
  readonly loaded: CombinedOutcome;
  /** Rows committed by earlier attempts' checkpoints. */
  readonly resumedFrom?: number;
}

/** Removes every row these file versions loaded, from every sink, in the caller's transaction. */
export async function discardRows(tx: LedgerTransaction, sinks: readonly RowSink[], fileIds: readonly number[]): Promise<void> {
  if (fileIds.length === 0) return;
  for (const sink of sinks) await sink.discard(tx.client, fileIds);
}

export async function finishAttempt(
  tx: LedgerTransaction, f: Finished, deps: Pick<AttemptDeps, 'storage' | 'sinks' | 'clock'>, open: () => Promise<Readable>,
): Promise<AttemptResult> {
  const { fileId, ref, loaded, earlier } = f;
  const sinkSummaries = loaded.summaries.some((x) => x !== null) ? [...loaded.summaries] : undefined;
  // Versions of the key that stopped part way in a chunked load hold half a
  // file: they go, and so does any checkpoint of this version (a file loaded
  // in one transaction after a chunked attempt was interrupted).
  const stopped = await tx.partlyLoadedVersions();
  await discardRows(tx, deps.sinks, stopped);
  await tx.clearCheckpoints([fileId, ...stopped]);
  const rejects = loaded.rejectsCsv ? await deps.storage.writeRejects(ref, loaded.rejectsCsv) : undefined;
  // An earlier version's rejects would otherwise outlive this clean one.
  if (!rejects && earlier.length > 0) await deps.storage.deleteRejects(ref);
  const keepsEarlier = deps.sinks.length > 0 && deps.sinks.every((s) => s.keepsEarlierVersions);
  const replaced = keepsEarlier ? [] : earlier;
  await tx.markReplaced(replaced);
  const backup = await deps.storage.backup(ref, f.stat.sizeBytes, open, f.started);
  const finished = deps.clock();
  const result = await deps.storage.writeResult(ref, toResultDocument({
    status: 'succeeded',
    bucket: ref.bucket,
    key: ref.key,
    version: ref.version,
    versionKind: ref.versionKind,
    rows: loaded.rowsLoaded,
    rowsRejected: loaded.rowsRejected,
    started: f.started.toISOString(),
    finished: finished.toISOString(),
    durationMs: finished.getTime() - f.started.getTime(),
    ...(f.resumedFrom !== undefined ? { resumedFrom: f.resumedFrom } : {}),
    ...(sinkSummaries ? { sinkSummaries } : {}),
  }));
  await tx.markSucceeded(loaded.rowsLoaded, loaded.rowsRejected, finished, f.resumedFrom);
  return {
    rows: loaded.rowsLoaded,
    rowsRejected: loaded.rowsRejected,
    finished,
    result,
    backup,
    rejects,
    replaced,
    resumedFrom: f.resumedFrom,
    ...(sinkSummaries ? { sinkSummaries } : {}),
  };
}
