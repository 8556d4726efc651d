/**
 * One attempt at a claimed file: read, count or load, back up, write the
 * result, and mark it succeeded — the database part in one transaction, so a
 * crash anywhere leaves either the whole outcome or none of it.
 *
 * S3 writes happen inside the transaction, before COMMIT, so that nothing is
 * ever lost: if we crash after them but before COMMIT, the row is not
 * succeeded, the retry processes the file again and overwrites the result
 * (the backup may then exist twice, under two timestamps — extra, not lost).
 * Writing them after COMMIT would leave a succeeded row without result or
 * backup after a crash, and the retry would skip it as a duplicate.
 */
import type { PoolClient } from 'pg';
import { assertNotEmpty, countCsvRecords } from './count-rows';
import { markSucceeded, readFileRow } from './file-metadata';
import { toResultDocument } from './outcome';
import { FileContext, RowSink, SinkOutcome } from './sink-api';
import { FileRef, FileSource } from './source';
import { ResultStorage } from './storage';

export interface AttemptDeps {
  readonly storage: ResultStorage;
  readonly sinks: readonly RowSink[];
  readonly clock: () => Date;
}

export interface AttemptResult {
  readonly rows: number;
  readonly rowsRejected: number;
  readonly finished: Date;
  readonly result: string;
  readonly backup: string;
  readonly rejects?: string;
}

/**
 * With several sinks, the file counts as loaded with the fewest rows any sink
 * took and the most any sink rejected (they read the same file, so these
 * normally agree).
 */
export function combineSinkOutcomes(outcomes: readonly SinkOutcome[]): SinkOutcome {
  const rejects = outcomes.map((o) => o.rejectsCsv).filter((csv): csv is string => !!csv);
  return {
    rowsLoaded: Math.min(...outcomes.map((o) => o.rowsLoaded)),
    rowsRejected: Math.max(...outcomes.map((o) => o.rowsRejected)),
    rejectsCsv: rejects.length ? rejects.join('\n') : undefined,
  };
}

async function loadSinks(client: PoolClient, file: FileContext, source: FileSource, sinks: readonly RowSink[]): Promise<SinkOutcome> {
  const outcomes: SinkOutcome[] = [];
  for (const sink of sinks) outcomes.push(await sink.load(client, file, () => source.open()));
  return combineSinkOutcomes(outcomes);
}

export async function runAttempt(
  client: PoolClient, fileId: number, ref: FileRef, source: FileSource, deps: AttemptDeps, started: Date,
): Promise<AttemptResult> {
  const size = await source.size();
  assertNotEmpty(size);
  // Without sinks, counting needs no transaction: keep it short.
  const counted = deps.sinks.length === 0 ? await countCsvRecords(await source.open()) : undefined;
  await client.query('BEGIN');
  try {
    // The advisory lock already serialises writers; the row lock also stops
    // anything outside this program from changing the row under us.
    await readFileRow(client, fileId, true);
    const context: FileContext = { fileId, bucket: ref.bucket, key: ref.key, version: ref.version };
    const loaded: SinkOutcome = counted
      ? { rowsLoaded: counted.rows, rowsRejected: 0 }
      : await loadSinks(client, context, source, deps.sinks);
    const rejects = loaded.rejectsCsv ? await deps.storage.writeRejects(ref, loaded.rejectsCsv) : undefined;
    const backup = await deps.storage.backup(ref, size, () => source.open(), started);
    const finished = deps.clock();
    const result = await deps.storage.writeResult(ref, toResultDocument({
      status: 'succeeded',
      bucket: ref.bucket,
      key: ref.key,
      version: ref.version,
      versionKind: ref.versionKind,
      rows: loaded.rowsLoaded,
      rowsRejected: loaded.rowsRejected,
      started: started.toISOString(),
      finished: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
    }));
    await markSucceeded(client, fileId, loaded.rowsLoaded, loaded.rowsRejected, finished);
    await client.query('COMMIT');
    return { rows: loaded.rowsLoaded, rowsRejected: loaded.rowsRejected, finished, result, backup, rejects };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
