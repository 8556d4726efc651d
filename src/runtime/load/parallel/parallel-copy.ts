/**
 * A FAIL_FILE file loaded through several connections, all of it visible in
 * one commit (the sink's `parallelism` > 1, table partitioned by `_file_id`).
 *
 * 1. The file is split at record boundaries into segments of about
 *    `segmentBytes` (./segments.ts, by the chunker's rule: a line end
 *    outside quotes, by quote parity, so a quoted line break is never a
 *    split point).
 * 2. Each of the N workers (./staged-load.ts: the file's staging table, one
 *    transaction per worker, committed and attached at the end) COPYs
 *    segments into the staging table as they come, one COPY per segment,
 *    through the same fast path as a one-connection load (blank lines,
 *    `\.`), so it stores exactly the rows the one-connection COPY would.
 *
 * A failure stops handing out segments; the first non-loaded segment in file
 * order decides, so a bad row is reported at the same line as by one
 * connection.
 */
import { Readable } from 'stream';
import type { ClientBase, PoolClient } from 'pg';
import { lineEndingOf, LineEnding } from './line-ending';
import { partitionState } from './partitions';
import { DataSegment, dataSegments, lineAtOffset } from './segments';
import { DEFAULT_SEGMENT_BYTES, loadThroughStaging, ParallelLoadOptions, ParallelResult } from './staged-load';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { MAX_SEGMENT_BYTES } from '../../checkpoint/chunker';
import { readFileHead } from '../../checkpoint/file-head';
import { BlankLinesNeedChecking, quoteStateFromStart } from '../blank-lines';
import { isRowDataError, locateCopyError, rowInputError } from '../copy-errors';
import { recordLineForCopyLine } from '../copy-lines';
import { copyRawBytes, EndOfDataMarkerFound } from '../fast-copy';
import { ColumnPlan, planColumns } from '../header';

export { DEFAULT_SEGMENT_BYTES, ParallelLoadOptions, ParallelResult, ParallelStep } from './staged-load';

export interface ParallelLoad {
  readonly config: PostgresTableSinkConfig;
  readonly fileId: number;
  readonly open: () => Promise<Readable>;
  /** COPY of the plan's columns into `table` (qualified, quoted). */
  readonly copySql: (plan: ColumnPlan, table: string) => string;
}

type PgError = Parameters<typeof locateCopyError>[0];

type SegmentOutcome =
  | { readonly ok: true; readonly rows: number }
  | { readonly ok: false; readonly instead: 'use-checked' | 'one-connection' }
  | { readonly ok: false; readonly rowError: PgError; readonly segment: DataSegment }
  | { readonly ok: false; readonly fatal: unknown };

/**
 * Loads the file through `parallelism` connections into its staging table
 * and attaches it in `claim`'s transaction (which the caller commits).
 */
export async function loadInParallel(
  claim: ClientBase, load: ParallelLoad, parallelism: number, options: ParallelLoadOptions = {},
): Promise<ParallelResult> {
  const { config, fileId } = load;
  const stream = await load.open();
  try {
    const head = await readFileHead(stream);
    const plan = planColumns(config, head.header.names, head.header.line);
    if (plan.extras.length > 0) return 'use-checked';
    // A reload of a version whose partition is in already: its rows are replaced in place.
    if ((await partitionState(claim, config, fileId)) === 'attached') return 'one-connection';
    const segmentBytes = Math.min(options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
    const segments = dataSegments(head.header.rest, head.header.source, head.dataOffset, segmentBytes);
    const first = await segments.next();
    // One segment: nothing to share between connections.
    if (first.done || first.value.last) return 'one-connection';
    const fileEnding = lineEndingOf(first.value.buffers);
    const openSegment = (s: DataSegment) => async () => Readable.from([head.headerBytes, ...s.buffers]);

    return await loadThroughStaging(claim, config, fileId, parallelism, options, async ({ workers, staging }) => {
      const copySql = load.copySql(plan, staging);
      const outcomes: SegmentOutcome[] = [];
      let stop = false;
      let next = 0;
      let copied = false;
      async function* all(): AsyncGenerator<{ index: number; segment: DataSegment }> {
        yield { index: next++, segment: first.value as DataSegment };
        for await (const segment of segments) yield { index: next++, segment };
      }
      const feed = all();
      await Promise.all(workers.map(async (client) => {
        while (!stop) {
          let item: IteratorResult<{ index: number; segment: DataSegment }>;
          try {
            item = await feed.next();
          } catch (err) {
            outcomes[next] = { ok: false, fatal: err };
            stop = true;
            return;
          }
          if (item.done) return;
          const { index, segment } = item.value;
          const outcome = await copySegment(client, copySql, segment, fileEnding, openSegment(segment));
          outcomes[index] = outcome;
          if (!outcome.ok) {
            stop = true;
            return;
          }
          if (!copied) {
            copied = true;
            await options.onStep?.('segment-copied');
          }
        }
      }));

      const fatal = outcomes.find((o): o is Extract<SegmentOutcome, { fatal: unknown }> => !!o && 'fatal' in o);
      if (fatal) throw fatal.fatal;
      const failed = firstFailure(outcomes);
      if (failed) {
        if ('instead' in failed) return failed.instead;
        if ('rowError' in failed) {
          const where = locateCopyError(failed.rowError, config.columns.map((c) => c.name));
          const line = where.copyLine === undefined
            ? undefined
            : await recordLineForCopyLine(openSegment(failed.segment), where.copyLine, await lineAtOffset(load.open, failed.segment.start));
          throw rowInputError(line, where.column, where.reason);
        }
      }
      const rowsLoaded = outcomes.reduce((sum, o) => sum + (o.ok ? o.rows : 0), 0);
      return { rowsLoaded, rowsRejected: 0 };
    });
  } finally {
    stream.destroy();
  }
}

async function copySegment(
  client: ClientBase, copySql: string, segment: DataSegment, fileEnding: LineEnding | undefined, open: () => Promise<Readable>,
): Promise<SegmentOutcome> {
  if (segment.bytes === 0) return { ok: true, rows: 0 };
  // COPY takes the line ending from the first line it reads: a segment must
  // start with the file's, or its COPY would judge its lines differently.
  const ending = lineEndingOf(segment.buffers);
  if (ending !== undefined && fileEnding !== undefined && ending !== fileEnding) return { ok: false, instead: 'one-connection' };
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const b of segment.buffers) yield b;
  }
  try {
    const rows = await copyRawBytes(client as PoolClient, copySql, Buffer.alloc(0), bytes(), quoteStateFromStart(open));
    return { ok: true, rows };
  } catch (e) {
    if (e instanceof EndOfDataMarkerFound || e instanceof BlankLinesNeedChecking) return { ok: false, instead: 'use-checked' };
    if (isRowDataError(e)) return { ok: false, rowError: e, segment };
    return { ok: false, fatal: e };
  }
}

/** The first segment, in file order, that did not load (every one before it did). */
function firstFailure(outcomes: readonly (SegmentOutcome | undefined)[]): Exclude<SegmentOutcome, { ok: true }> | undefined {
  for (const o of outcomes) if (o && !o.ok) return o;
  return undefined;
}
