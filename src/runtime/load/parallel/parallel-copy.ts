/**
 * A FAIL_FILE file loaded through several connections, all of it visible in
 * one commit (the sink's `parallelism` > 1, table partitioned by `_file_id`).
 *
 * 1. The file is split at record boundaries into segments of about
 *    `segmentBytes` (./segments.ts, by the chunker's rule: a line end
 *    outside quotes, by quote parity, so a quoted line break is never a
 *    split point).
 * 2. One worker connection creates the file's staging table and commits it
 *    (./partitions.ts). Each of the N workers opens a transaction and COPYs
 *    segments into it as they come, one COPY per segment, through the same
 *    fast path as a one-connection load (blank lines, `\.`), so it stores
 *    exactly the rows the one-connection COPY would.
 * 3. Every segment in: the workers commit (invisible: the staging table is
 *    not part of the table yet); the load waits for the transactions that
 *    may hold a snapshot taken while they were committing (./snapshots.ts:
 *    past `snapshotWaitMs` it loads through one connection instead); then
 *    the claim transaction attaches the
 *    staging table as the file's partition. Its COMMIT, which also marks the
 *    file succeeded and removes the earlier versions' rows, is the one
 *    moment readers see the file: all of it, and the earlier version gone.
 *
 * A failure stops handing out segments; the first non-loaded segment in file
 * order decides, so a bad row is reported at the same line as by one
 * connection. A crash at any point leaves at most a staging table nobody
 * sees (swept by the next parallel load of the table) and no transaction:
 * the workers' open transactions die with their connections.
 */
import { Readable } from 'stream';
import type { ClientBase, PoolClient } from 'pg';
import { ConnectWorker, connectionsLike, WorkerConnection } from './connections';
import { lineEndingOf, LineEnding } from './line-ending';
import {
  attachPartition, createStagingTable, lockStagingTable, partitionName, partitionState, sweepStagingTables, unlockStagingTable,
} from './partitions';
import { DataSegment, dataSegments, lineAtOffset } from './segments';
import { waitForWindowSnapshots } from './snapshots';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { MAX_SEGMENT_BYTES } from '../../checkpoint/chunker';
import { readFileHead } from '../../checkpoint/file-head';
import { Logger, stderrLogger } from '../../contract/logger';
import type { SinkOutcome } from '../../contract/sink-api';
import { BlankLinesNeedChecking, quoteStateFromStart } from '../blank-lines';
import { isRowDataError, locateCopyError, rowInputError } from '../copy-errors';
import { recordLineForCopyLine } from '../copy-lines';
import { copyRawBytes, EndOfDataMarkerFound } from '../fast-copy';
import { ColumnPlan, planColumns } from '../header';
import { FILE_ID_SETTING, qualifiedTableName, quoteIdent } from '../validate-config';

/** Where a parallel load is; the crash-window tests stop the process at each. */
export type ParallelStep = 'staging-created' | 'segment-copied' | 'worker-committed' | 'parts-committed' | 'attached';

export interface ParallelLoadOptions {
  /** Opens a worker connection; default: a new connection with the claim connection's settings. */
  readonly connect?: ConnectWorker;
  /**
   * Bytes per segment (each segment is one COPY on one connection; up to
   * `parallelism + 2` segments are held in memory). Default 2 MiB: larger ones only raise the peak RSS (8 MiB: +40 MB).
   */
  readonly segmentBytes?: number;
  /**
   * How long to wait, once the workers have committed, for transactions that
   * may hold a snapshot taken while they were committing (./snapshots.ts);
   * past it the file is loaded through one connection. Default 30 s.
   */
  readonly snapshotWaitMs?: number;
  /** Where the fall-backs to one connection are said; default: JSON lines on stderr (CloudWatch Logs in AWS). */
  readonly log?: Logger;
  /** Awaited at each step (tests). */
  readonly onStep?: (step: ParallelStep) => Promise<void> | void;
}

export interface ParallelLoad {
  readonly config: PostgresTableSinkConfig;
  readonly fileId: number;
  readonly open: () => Promise<Readable>;
  /** COPY of the plan's columns into `table` (qualified, quoted). */
  readonly copySql: (plan: ColumnPlan, table: string) => string;
}

/** The file's outcome, or which one-connection path must load it instead (nothing is left written). */
export type ParallelResult = SinkOutcome | 'use-checked' | 'one-connection';

export const DEFAULT_SEGMENT_BYTES = 2 * 1024 * 1024;

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
    const staging = `${quoteIdent(config.schema)}.${quoteIdent(partitionName(config.table, fileId))}`;
    const copySql = load.copySql(plan, staging);
    const openSegment = (s: DataSegment) => async () => Readable.from([head.headerBytes, ...s.buffers]);

    const workers = await openWorkers(options.connect ?? connectionsLike(claim), parallelism);
    const lead = workers[0].client;
    let created = false;
    try {
      await sweepStagingTables(lead, config);
      await lockStagingTable(lead, config, fileId);
      // One transaction: a table of that name without its marker comment would never be swept, and would stop the file.
      await lead.query('BEGIN');
      await createStagingTable(lead, config, fileId);
      await lead.query('COMMIT');
      created = true;
      await options.onStep?.('staging-created');
      const pids: number[] = [];
      await Promise.all([claim, ...workers.map((w) => w.client)].map(async (c) => {
        pids.push((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      }));
      await Promise.all(workers.map(async (w) => {
        await w.client.query('BEGIN');
        // Safe: the claim transaction's COMMIT comes later and is flushed with everything before it.
        await w.client.query('SET LOCAL synchronous_commit TO off');
        await w.client.query('SELECT set_config($1, $2, true)', [FILE_ID_SETTING, String(fileId)]);
      }));

      const outcomes: SegmentOutcome[] = [];
      let stop = false;
      let next = 0;
      let copied = false;
      async function* all(): AsyncGenerator<{ index: number; segment: DataSegment }> {
        yield { index: next++, segment: first.value as DataSegment };
        for await (const segment of segments) yield { index: next++, segment };
      }
      const feed = all();
      await Promise.all(workers.map(async (w) => {
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
          const outcome = await copySegment(w.client, copySql, segment, fileEnding, openSegment(segment));
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
      // One after the other, so that the window between the first and the last commit is the shortest and known.
      for (const [i, w] of workers.entries()) {
        await w.client.query('COMMIT');
        if (i === 0) await options.onStep?.('worker-committed');
      }
      const committedAt = (await lead.query<{ t: string }>('SELECT clock_timestamp()::text AS t')).rows[0].t;
      await options.onStep?.('parts-committed');
      const waited = await waitForWindowSnapshots(lead, { committedAt, ownPids: pids, maxWaitMs: options.snapshotWaitMs ?? 30_000 });
      if (!waited.ok) {
        (options.log ?? stderrLogger).warn('loading the file through one connection: transactions that may hold a snapshot taken while the parallel parts were committing '
          + 'did not end in time (a REPEATABLE READ reader could see part of the file); sessions of other roles count unless this role has pg_read_all_stats', {
          table: qualifiedTableName(config), fileId, blocking: waited.blocking,
        });
        return 'one-connection';
      }
      await attachPartition(claim, config, fileId);
      created = false;
      await options.onStep?.('attached');
      const rowsLoaded = outcomes.reduce((sum, o) => sum + (o.ok ? o.rows : 0), 0);
      return { rowsLoaded, rowsRejected: 0 };
    } finally {
      await cleanUp(workers, config, fileId, created);
    }
  } finally {
    stream.destroy();
  }
}

async function openWorkers(connect: ConnectWorker, n: number): Promise<WorkerConnection[]> {
  const opened = await Promise.allSettled(Array.from({ length: n }, () => connect()));
  const workers = opened.filter((o): o is PromiseFulfilledResult<WorkerConnection> => o.status === 'fulfilled').map((o) => o.value);
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await Promise.all(workers.map((w) => w.close().catch(() => undefined)));
    throw failed.reason;
  }
  return workers;
}

/**
 * Rolls back whatever the workers still have open; a staging table that was
 * not attached is dropped (best effort: the next load's sweep drops it
 * otherwise); the advisory lock goes with the connection.
 */
async function cleanUp(workers: WorkerConnection[], config: PostgresTableSinkConfig, fileId: number, dropStaging: boolean): Promise<void> {
  await Promise.all(workers.map((w) => w.client.query('ROLLBACK').catch(() => undefined)));
  const lead = workers[0].client;
  try {
    if (dropStaging && (await partitionState(lead, config, fileId)) === 'staging') {
      await lead.query(`DROP TABLE ${quoteIdent(config.schema)}.${quoteIdent(partitionName(config.table, fileId))}`);
    }
    await unlockStagingTable(lead, config, fileId);
  } catch {
    // The connection failed: its lock is gone with it, the table is swept later.
  }
  await Promise.all(workers.map((w) => w.close().catch(() => undefined)));
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
