import { Readable } from 'stream';
import type { PoolClient } from 'pg';
import { BlankLinesNeedChecking, quoteStateFromStart } from './blank-lines';
import { loadChecked } from './checked-copy';
import { isRowDataError, locateCopyError, rowInputError } from './copy-errors';
import { recordLineForCopyLine } from './copy-lines';
import { copyRawBytes, EndOfDataMarkerFound } from './fast-copy';
import { ColumnPlan, ParsedHeader, planColumns, readHeader } from './header';
import { loadCheckedInParallel } from './parallel/parallel-checked';
import { loadInParallel, ParallelLoadOptions, ParallelResult } from './parallel/parallel-copy';
import { ensurePartition, isPartitioned } from './parallel/partitions';
import { holdTableForLoad, pruneAfterCommit } from './parallel/prune-partitions';
import { RejectReport } from './rejects';
import { FILE_ID_COLUMN, FILE_ID_SETTING, qualifiedTableName, quoteIdent, validateTableSinkConfig } from './validate-config';
import type { PostgresTableSinkConfig } from '../../shared/sink-config';
import { ConfigError } from '../contract/config';
import { stderrLogger } from '../contract/logger';
import type { FileContext, RowSink, SinkOutcome } from '../contract/sink-api';

const SAVEPOINT = 'cdk_data_pipeline_load';

/** How the processor (or a test) runs the sink; the configuration itself is `PostgresTableSinkConfig`. */
export interface TableSinkOptions {
  /** Connections, segment size and test hooks of parallel loads (`parallelism` > 1). */
  readonly parallel?: ParallelLoadOptions;
}

/** A sink with work to do once the file's transaction has committed (the processor runs it after the commit, ../core/process-file.ts); it never fails the file. */
export interface CommitFollower {
  /** `timeLeftMs`: what the host's time limit leaves (undefined: no limit); the work must end within it. */
  afterCommit(fileId: number, timeLeftMs?: number): Promise<void>;
}

/**
 * `Sink.postgresTable`: loads each CSV file into a typed table inside the
 * processor's transaction, replacing the rows an earlier run of the same file
 * version loaded (rows carry `_file_id`) and, unless `previousVersions` is
 * APPEND, the rows of the earlier versions of the same key.
 *
 * FAIL_FILE files whose header maps straight onto the table take the fast
 * path: only the header is parsed here and PostgreSQL's COPY parses the rest.
 * SKIP_AND_REPORT files, and files with extra columns to drop, take the
 * checked path (see checked-copy.ts). On both paths a blank line (nothing
 * between two line breaks, outside quotes) is not a record: it is skipped,
 * never loaded and never rejected, and still counts as a line of the file in
 * messages (see blank-lines.ts for the fast path).
 *
 * The sink works under its own savepoint: when it throws, everything it wrote
 * (including the deletion of the earlier rows) is undone and the caller's
 * transaction is still usable.
 *
 * With `parallelism` > 1 and a table created partitioned by `_file_id`
 * (./migration.ts), files are loaded through several connections into their
 * own partition, attached in the caller's transaction: FAIL_FILE files on
 * the fast path as segments of the file (./parallel/parallel-copy.ts), the
 * others checked once and their good rows shared between the connections
 * (./parallel/parallel-checked.ts). Small files (one segment), a reload of a
 * version whose partition is in, and tables with a unique index go through
 * one connection into the file's partition, attached the same way. With `file.chunk` (checkpointed loads) each chunk commits on its
 * own anyway, so chunks load through one connection.
 */
export function createPostgresTableSink(config: PostgresTableSinkConfig, options: TableSinkOptions = {}): RowSink & CommitFollower {
  validateTableSinkConfig(config);
  const table = qualifiedTableName(config);
  const names = config.columns.map((c) => c.name);
  const parallelism = config.parallelism ?? 1;

  const copySqlFor = (plan: ColumnPlan, into: string = table): string =>
    `COPY ${into} (${plan.loadedColumns.map((c) => quoteIdent(names[c])).join(', ')}) FROM STDIN (FORMAT csv)`;

  const keepsEarlierVersions = config.previousVersions === 'APPEND';
  /** The last claim connection that loaded into the partitioned table under REPLACE: the sweep connects like it. */
  let sweepLike: PoolClient | undefined;

  /** Removes what an earlier run of this version loaded and, unless APPEND, the earlier versions' rows. */
  async function discard(client: PoolClient | undefined, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await holdTableForLoad(inPostgres(client), config);
    await inPostgres(client).query(`DELETE FROM ${table} WHERE ${quoteIdent(FILE_ID_COLUMN)} = ANY($1::bigint[])`, [ids]);
  }

  /**
   * Removes what an earlier run of this version loaded and, unless APPEND,
   * the earlier versions' rows. A chunk after the first removes nothing: the
   * committed chunks are this version's rows.
   */
  async function prepare(client: PoolClient, file: FileContext, partitioned: boolean): Promise<void> {
    await client.query('SELECT set_config($1, $2, true)', [FILE_ID_SETTING, String(file.fileId)]);
    if (file.chunk) {
      await discard(client, file.chunk.first ? [file.fileId] : []);
    } else {
      await discard(client, keepsEarlierVersions ? [file.fileId] : [file.fileId, ...(file.earlierFileIds ?? [])]);
    }
    if (partitioned) await ensurePartition(client, config, file.fileId);
  }

  async function withHeader<T>(open: () => Promise<Readable>, body: (header: ParsedHeader, plan: ColumnPlan) => Promise<T>): Promise<T> {
    const stream = await open();
    try {
      const header = await readHeader(stream);
      return await body(header, planColumns(config, header.names, header.line));
    } finally {
      stream.destroy();
    }
  }

  async function checked(client: PoolClient, open: () => Promise<Readable>, firstLine: number | undefined): Promise<SinkOutcome> {
    return withHeader(open, async (header, plan) => {
      const rejects = new RejectReport();
      const rowsLoaded = await loadChecked({ client, config, plan, header, copySql: copySqlFor(plan), rejects, firstLine });
      return { rowsLoaded, rowsRejected: rejects.count, rejectsCsv: rejects.toCsv() };
    });
  }

  async function fast(client: PoolClient, open: () => Promise<Readable>, firstLine: number | undefined): Promise<SinkOutcome | 'use-checked'> {
    return withHeader(open, async (header, plan) => {
      if (plan.extras.length > 0) return 'use-checked' as const;
      try {
        const rowsLoaded = await copyRawBytes(client, copySqlFor(plan), header.rest, header.source, quoteStateFromStart(open));
        return { rowsLoaded, rowsRejected: 0 };
      } catch (e) {
        if (e instanceof EndOfDataMarkerFound || e instanceof BlankLinesNeedChecking) return 'use-checked' as const;
        if (!isRowDataError(e)) throw e;
        const where = locateCopyError(e, names);
        const line = where.copyLine === undefined ? undefined : await recordLineForCopyLine(open, where.copyLine, firstLine);
        throw rowInputError(line, where.column, where.reason);
      }
    });
  }

  return {
    keepsEarlierVersions,
    discard,
    async load(tx: PoolClient | undefined, file: FileContext, open: () => Promise<Readable>): Promise<SinkOutcome> {
      const client = inPostgres(tx);
      // Before any lock on the table: no sweep detaches a partition while this transaction writes it (./parallel/prune-partitions.ts).
      await holdTableForLoad(client, config);
      await client.query(`SAVEPOINT ${SAVEPOINT}`);
      try {
        const partitioned = parallelism > 1 && await isPartitioned(client, config);
        if (partitioned && !keepsEarlierVersions) sweepLike = client;
        // FAIL_FILE files that map straight onto the table go to COPY as they are; the others are checked row by row.
        let mustCheck = config.badRows !== 'FAIL_FILE';
        if (partitioned && !file.chunk) {
          await prepare(client, file, false);
          const load = { config, fileId: file.fileId, open, copySql: copySqlFor };
          let parallel: ParallelResult = mustCheck ? 'use-checked' : await loadInParallel(client, load, parallelism, options.parallel);
          if (parallel === 'use-checked') {
            mustCheck = true;
            parallel = await loadCheckedInParallel(client, load, parallelism, options.parallel);
          }
          if (typeof parallel !== 'string') {
            await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
            return parallel;
          }
          await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
        }
        await prepare(client, file, partitioned);
        const firstLine = file.chunk?.firstLine;
        let outcome = mustCheck ? 'use-checked' as const : await fast(client, open, firstLine);
        if (outcome === 'use-checked') {
          if (!mustCheck) {
            // The fast attempt may have sent rows already: start over cleanly.
            await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
            await prepare(client, file, partitioned);
          }
          outcome = await checked(client, open, firstLine);
        }
        await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
        return outcome;
      } catch (e) {
        try {
          await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
          await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
        } catch {
          // The connection itself failed; the caller's rollback cleans up.
        }
        throw e;
      }
    },
    /** Once a file's transaction committed: drops the emptied partitions of replaced versions of the table (./parallel/prune-partitions.ts). */
    async afterCommit(_fileId: number, timeLeftMs?: number): Promise<void> {
      if (!sweepLike) return;
      const p = options.parallel ?? {};
      await pruneAfterCommit(sweepLike, config, { connect: p.connect, waitMs: p.pruneWaitMs, timeLeftMs, log: p.log ?? stderrLogger });
    },
  };
}

/** The table sink writes in the PostgreSQL ledger's transaction. */
function inPostgres(client: PoolClient | undefined): PoolClient {
  if (!client) {
    throw new ConfigError('a postgresTable sink needs the PostgreSQL ledger (its rows commit with the file\'s record); this processor runs with a ledger outside PostgreSQL');
  }
  return client;
}
