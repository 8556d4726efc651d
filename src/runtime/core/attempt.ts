/**
 * One attempt at a claimed file: read, count or load, back up, write the
 * result, and mark it succeeded — the database part in one transaction, so a
 * crash anywhere leaves either the whole outcome or none of it. The same
 * transaction retires the earlier loaded versions of the key: their rows go
 * (unless every sink keeps earlier versions), they are marked `replaced`, and
 * a rejects file of theirs is removed when this version has none.
 *
 * S3 writes happen inside the transaction, before COMMIT, so that nothing is
 * ever lost: if we crash after them but before COMMIT, the row is not
 * succeeded, the retry processes the file again and overwrites the result
 * (the backup may then exist twice, under two timestamps — extra, not lost).
 * Writing them after COMMIT would leave a succeeded row without result or
 * backup after a crash, and the retry would skip it as a duplicate.
 *
 * With `checkpointEvery` (and at least one sink) the file is loaded in
 * chunks instead, each committed with its checkpoint, and the last chunk
 * ends with the same finishing steps (../checkpoint/chunked-attempt.ts).
 */
import { Readable } from 'stream';
import { assertNotEmpty, countCsvRecords } from './count-rows';
import { Budget } from './deadline';
import { finishAttempt } from './finish-attempt';
import { runChunkedAttempt } from '../checkpoint/chunked-attempt';
import { FileClaim, LedgerTransaction } from '../contract/ledger';
import { Logger } from '../contract/logger';
import { FileContext, RowSink, SinkOutcome } from '../contract/sink-api';
import { FileRef, FileSource, FileStat } from '../contract/source';
import { assertOutputKeysFit, ResultStorage } from '../contract/storage';

export interface AttemptDeps {
  readonly storage: ResultStorage;
  readonly sinks: readonly RowSink[];
  readonly clock: () => Date;
  readonly budget: Budget;
  readonly log: Logger;
  /** Rows per checkpointed chunk (see ProcessDeps); unset or 0: one transaction. */
  readonly checkpointEvery?: number;
  /** Start from the beginning even if a checkpoint exists. */
  readonly force?: boolean;
}

export interface AttemptResult {
  readonly rows: number;
  readonly rowsRejected: number;
  readonly finished: Date;
  readonly result: string;
  readonly backup: string;
  readonly rejects?: string;
  /** `file_metadata` ids of the earlier versions this one replaced. */
  readonly replaced: number[];
  /** Rows earlier attempts had committed in checkpointed chunks (a resumed load). */
  readonly resumedFrom?: number;
  /** Per sink, its summary of the file (`SinkOutcome.summary`), when any sink has one. */
  readonly sinkSummaries?: (Readonly<Record<string, unknown>> | null)[];
}

/** The sinks' outcomes as one, with each sink's summary kept by index. */
export interface CombinedOutcome extends SinkOutcome {
  readonly summaries: (Readonly<Record<string, unknown>> | null)[];
}

/**
 * With several sinks, the file counts as loaded with the fewest rows any sink
 * took and the most any sink rejected (they read the same file, so these
 * normally agree).
 */
export function combineSinkOutcomes(outcomes: readonly SinkOutcome[]): CombinedOutcome {
  const rejects = outcomes.map((o) => o.rejectsCsv).filter((csv): csv is string => !!csv);
  return {
    rowsLoaded: Math.min(...outcomes.map((o) => o.rowsLoaded)),
    rowsRejected: Math.max(...outcomes.map((o) => o.rowsRejected)),
    rejectsCsv: rejects.length ? rejects.join('\n') : undefined,
    summaries: outcomes.map((o) => o.summary ?? null),
  };
}

export async function loadSinks(
  tx: LedgerTransaction, file: FileContext, open: () => Promise<Readable>, sinks: readonly RowSink[],
): Promise<CombinedOutcome> {
  const outcomes: SinkOutcome[] = [];
  for (const sink of sinks) outcomes.push(await sink.load(tx.client, file, open));
  return combineSinkOutcomes(outcomes);
}

export async function runAttempt(
  claim: FileClaim, ref: FileRef, source: FileSource, stat: FileStat, deps: AttemptDeps, started: Date,
): Promise<AttemptResult> {
  assertNotEmpty(stat.sizeBytes);
  assertOutputKeysFit(ref.key);
  if (deps.checkpointEvery && deps.sinks.length > 0) {
    return runChunkedAttempt(claim, ref, source, stat, deps, started);
  }
  const fileId = claim.fileId;
  const open = async () => deps.budget.watch(await source.open());
  // Without sinks, counting needs no transaction: keep it short.
  const counted = deps.sinks.length === 0 ? await countCsvRecords(await open()) : undefined;
  return claim.transaction(async (tx) => {
    await tx.lockRecord();
    const earlier = await tx.loadedEarlierVersions();
    const context: FileContext = { fileId, bucket: ref.bucket, key: ref.key, version: ref.version, earlierFileIds: earlier };
    const loaded: CombinedOutcome = counted
      ? { rowsLoaded: counted.rows, rowsRejected: 0, summaries: [] }
      : await loadSinks(tx, context, open, deps.sinks);
    return finishAttempt(tx, { fileId, ref, stat, started, earlier, loaded }, deps, open);
  });
}
