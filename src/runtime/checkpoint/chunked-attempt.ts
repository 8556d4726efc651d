/**
 * An attempt that loads the file in checkpointed chunks (`checkpointEvery`
 * rows each, see ./chunker.ts), so a long file survives an interruption: a
 * Spot reclaim, a `kill -9`, a timeout.
 *
 * - Each chunk's rows and the file's checkpoint (byte offset and line of the
 *   next chunk, rows and rejects so far) commit in one transaction: after a
 *   crash the sinks hold exactly the chunks the checkpoint counts.
 * - The next attempt at the same version resumes after the last committed
 *   chunk: it reads the header again, then the file from the checkpoint's
 *   byte offset (S3: a ranged GET). `resumedFrom` says how many rows were
 *   already in.
 * - The last chunk ends with the same steps as a one-transaction load
 *   (../core/finish-attempt.ts), in its own transaction: the earlier versions'
 *   rows go (unless APPEND), so do the chunks of any other version of the
 *   key that stopped part way, the rejects of every chunk are written as one
 *   file, and the checkpoint is removed.
 * - A checkpoint belongs to one file version (`file_metadata.id`) and is
 *   checked against its version, size and header before use; a new version
 *   of the key has its own row and starts from zero. `force` starts over.
 * - A content error under FAIL_FILE fails the whole file: the failure is
 *   recorded in the transaction that also removes the committed chunks
 *   (`markFailedDiscardingChunks`). A failure of the pipeline itself keeps
 *   the checkpoint for the retry.
 */
import { Readable } from 'stream';
import { MAX_SEGMENT_BYTES, segmentsOf } from './chunker';
import { FileHead, readFileHead } from './file-head';
import { Checkpoint, ChunkRecord, FileClaim } from '../contract/ledger';
import { RowSink } from '../contract/sink-api';
import { FileRef, FileSource, FileStat } from '../contract/source';
import type { AttemptDeps, AttemptResult, CombinedOutcome } from '../core/attempt';
import { loadSinks } from '../core/attempt';
import { DeadlineExceededError, InterruptedError, interruptReason } from '../core/deadline';
import { discardRows, finishAttempt } from '../core/finish-attempt';
import { toBuffers } from '../load/header';

const REJECTS_HEADER = 'line,reason,raw\n';
/** The combined rejects file stays under the size one chunk's report is capped at. */
const MAX_REJECTS_BYTES = 4 * 1024 * 1024;

export async function runChunkedAttempt(
  claim: FileClaim, ref: FileRef, source: FileSource, stat: FileStat, deps: AttemptDeps, started: Date,
): Promise<AttemptResult> {
  const fileId = claim.fileId;
  const headStream = deps.budget.watch(await source.open());
  const streams: Readable[] = [headStream];
  try {
    const head = await readFileHead(headStream);
    let checkpoint = await claim.readCheckpoint();
    if (checkpoint && (deps.force || !sameBytes(checkpoint, ref, stat, head))) {
      deps.log.warn('not resuming: the checkpoint was taken on other bytes, or the run is forced; loading from the start', {
        key: ref.key, version: ref.version, checkpointVersion: checkpoint.version, force: deps.force === true,
      });
      checkpoint = undefined;
    }
    let first = head.header.rest;
    let rest = head.header.source;
    if (checkpoint) {
      headStream.destroy();
      const resumed = deps.budget.watch(await source.open({ start: checkpoint.byteOffset }));
      streams.push(resumed);
      first = Buffer.alloc(0);
      rest = toBuffers(resumed)[Symbol.asyncIterator]();
      deps.log.info('resuming from the checkpoint', {
        key: ref.key, version: ref.version, rowsCommitted: checkpoint.rowsLoaded, byteOffset: checkpoint.byteOffset, line: checkpoint.nextLine,
      });
    }
    const totals = { rows: checkpoint?.rowsLoaded ?? 0, rejected: checkpoint?.rowsRejected ?? 0, chunks: checkpoint?.chunks ?? 0 };
    const segments = segmentsOf(first, rest, {
      start: checkpoint?.byteOffset ?? head.dataOffset,
      firstLine: checkpoint?.nextLine ?? head.header.lines + 1,
      rows: deps.checkpointEvery!,
      maxBytes: MAX_SEGMENT_BYTES,
    });
    // The next segment is read and split while this one loads: PostgreSQL
    // parses the COPY while Node scans the next rows.
    let next = segments.next();
    for (;;) {
      const step = await next;
      if (step.done) break;
      const segment = step.value;
      if (!segment.last) {
        next = segments.next();
        next.catch(() => undefined); // surfaces at the await above, unless this chunk fails first
      }
      stopIfAsked(deps, totals.chunks);
      // Safe without waiting for the flush: a chunk and its checkpoint are
      // lost or kept together, and a lost one is loaded again. The last
      // transaction, which marks the file succeeded, is flushed as usual.
      const done = await claim.transaction(async (tx) => {
        await tx.lockRecord();
        const fromStart = !checkpoint && segment.start === head.dataOffset;
        if (fromStart) await tx.clearCheckpoints([fileId]);
        const chunk = [head.headerBytes, ...segment.buffers];
        const out = await loadSinks(tx, {
          fileId,
          bucket: ref.bucket,
          key: ref.key,
          version: ref.version,
          chunk: { firstLine: segment.firstLine, first: fromStart, nextLine: segment.nextLine, last: segment.last },
        }, async () => Readable.from(chunk), deps.sinks);
        totals.rows += out.rowsLoaded;
        totals.rejected += out.rowsRejected;
        totals.chunks++;
        const record = chunkRecord(segment.firstLine, out);
        if (record) await tx.saveChunk(record);
        if (!segment.last) {
          await tx.saveCheckpoint({
            fileId,
            version: ref.version,
            sizeBytes: stat.sizeBytes,
            dataOffset: head.dataOffset,
            byteOffset: segment.end,
            nextLine: segment.nextLine,
            rowsLoaded: totals.rows,
            rowsRejected: totals.rejected,
            chunks: totals.chunks,
          });
          return undefined;
        }
        const earlier = await tx.loadedEarlierVersions();
        const keepsEarlier = deps.sinks.every((s) => s.keepsEarlierVersions);
        if (!keepsEarlier) await discardRows(tx, deps.sinks, earlier);
        const chunks = await tx.readChunks();
        const loaded: CombinedOutcome = {
          rowsLoaded: totals.rows,
          rowsRejected: totals.rejected,
          rejectsCsv: combineRejects(chunks, totals.rejected),
          summaries: combineSummaries(deps.sinks, chunks),
        };
        return finishAttempt(tx, {
          fileId, ref, stat, started, earlier, loaded, resumedFrom: checkpoint?.rowsLoaded,
        }, deps, async () => deps.budget.watch(await source.open()));
      }, { durable: segment.last });
      if (done) return done;
      deps.log.info('chunk committed', { key: ref.key, chunk: totals.chunks, rows: totals.rows, byteOffset: segment.end, line: segment.nextLine });
    }
    throw new Error('internal error: the chunked load ended without its last chunk');
  } finally {
    streams.forEach((s) => s.destroy());
  }
}

/** Between chunks: the host's interrupt or the time limit stops the load here, with every chunk so far committed. */
function stopIfAsked(deps: AttemptDeps, committed: number): void {
  const { interrupt, signal, workMs } = deps.budget;
  if (interrupt?.aborted) throw new InterruptedError(`stopped after chunk ${committed}: ${interruptReason(interrupt)}`);
  if (signal?.aborted) throw new DeadlineExceededError(`stopped after chunk ${committed} and ${workMs} ms: the processor's time limit is near`);
}

function sameBytes(c: Checkpoint, ref: FileRef, stat: FileStat, head: FileHead): boolean {
  return c.version === ref.version && c.sizeBytes === stat.sizeBytes && c.dataOffset === head.dataOffset
    && c.byteOffset >= head.dataOffset && c.byteOffset <= stat.sizeBytes;
}

function withoutHeader(csv: string): string {
  return csv.startsWith(REJECTS_HEADER) ? csv.slice(REJECTS_HEADER.length) : csv;
}

/** What a committed chunk leaves in the ledger besides its checkpoint; undefined when nothing. */
function chunkRecord(firstLine: number, out: CombinedOutcome): ChunkRecord | undefined {
  const hasSummary = out.summaries.some((x) => x !== null);
  if (!out.rejectsCsv && !hasSummary) return undefined;
  return {
    firstLine,
    listed: out.rejectsCsv ? out.rowsRejected : 0,
    rejectsCsv: out.rejectsCsv ? withoutHeader(out.rejectsCsv) : '',
    summaries: out.summaries,
  };
}

/** Each sink's summary of the whole file, merged from its chunks' summaries by the sink. */
function combineSummaries(sinks: readonly RowSink[], chunks: readonly ChunkRecord[]): CombinedOutcome['summaries'] {
  return sinks.map((sink, i) => {
    const parts = chunks.map((c) => c.summaries[i]).filter((x): x is Readonly<Record<string, unknown>> => !!x);
    if (parts.length === 0) return null;
    if (!sink.combineSummaries) throw new Error(`internal error: sink ${i} returned chunk summaries but cannot combine them`);
    return sink.combineSummaries(parts);
  });
}

/** One rejects file from the chunks' reports, in file order, capped like one report. */
function combineRejects(chunks: readonly ChunkRecord[], total: number): string | undefined {
  const parts = chunks.filter((c) => c.rejectsCsv !== '').map((c) => ({ listed: c.listed, csv: c.rejectsCsv }));
  if (parts.length === 0) return undefined;
  const out: string[] = [REJECTS_HEADER];
  let bytes = REJECTS_HEADER.length;
  let listed = 0;
  for (const p of parts) {
    if (bytes + p.csv.length > MAX_REJECTS_BYTES) break;
    out.push(p.csv);
    bytes += p.csv.length;
    listed += p.listed;
  }
  if (listed < total) {
    out.push(`,${total - listed} more rejected rows are not listed: the report is capped at ${MAX_REJECTS_BYTES} bytes,\n`);
  }
  return out.join('');
}

