import { Readable } from 'stream';
import type { PoolClient } from 'pg';
import { BlankLinesNeedChecking, quoteStateFromStart } from './blank-lines';
import { isBlankLine, loadChecked } from './checked-copy';
import { isRowDataError, locateCopyError, rowInputError } from './copy-errors';
import { copyLinesOf, CsvScanner, Scan } from './csv-scanner';
import { copyRawBytes, EndOfDataMarkerFound } from './fast-copy';
import { ColumnPlan, ParsedHeader, planColumns, readHeader } from './header';
import { RejectReport } from './rejects';
import { FILE_ID_COLUMN, FILE_ID_SETTING, qualifiedTableName, quoteIdent, validateTableSinkConfig } from './validate-config';
import type { PostgresTableSinkConfig } from '../../shared/sink-config';
import { InputError } from '../contract/errors';
import type { FileContext, RowSink, SinkOutcome } from '../contract/sink-api';

const SAVEPOINT = 'cdk_data_pipeline_load';

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
 */
export function createPostgresTableSink(config: PostgresTableSinkConfig): RowSink {
  validateTableSinkConfig(config);
  const table = qualifiedTableName(config);
  const names = config.columns.map((c) => c.name);

  const copySqlFor = (plan: ColumnPlan): string =>
    `COPY ${table} (${plan.loadedColumns.map((c) => quoteIdent(names[c])).join(', ')}) FROM STDIN (FORMAT csv)`;

  const keepsEarlierVersions = config.previousVersions === 'APPEND';

  /** Removes what an earlier run of this version loaded and, unless APPEND, the earlier versions' rows. */
  async function discard(client: PoolClient, ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await client.query(`DELETE FROM ${table} WHERE ${quoteIdent(FILE_ID_COLUMN)} = ANY($1::bigint[])`, [ids]);
  }

  /**
   * Removes what an earlier run of this version loaded and, unless APPEND,
   * the earlier versions' rows. A chunk after the first removes nothing: the
   * committed chunks are this version's rows.
   */
  async function prepare(client: PoolClient, file: FileContext): Promise<void> {
    await client.query('SELECT set_config($1, $2, true)', [FILE_ID_SETTING, String(file.fileId)]);
    if (file.chunk) {
      await discard(client, file.chunk.first ? [file.fileId] : []);
      return;
    }
    await discard(client, keepsEarlierVersions ? [file.fileId] : [file.fileId, ...(file.earlierFileIds ?? [])]);
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
    async load(client: PoolClient, file: FileContext, open: () => Promise<Readable>): Promise<SinkOutcome> {
      await client.query(`SAVEPOINT ${SAVEPOINT}`);
      try {
        await prepare(client, file);
        let outcome: SinkOutcome | 'use-checked' = 'use-checked';
        const firstLine = file.chunk?.firstLine;
        if (config.badRows === 'FAIL_FILE') outcome = await fast(client, open, firstLine);
        if (outcome === 'use-checked') {
          if (config.badRows === 'FAIL_FILE') {
            // The fast attempt may have sent rows already: start over cleanly.
            await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
            await prepare(client, file);
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
  };
}

/**
 * File line where the record COPY calls "line N" starts. COPY counts quoted
 * line breaks only sometimes (see copyLinesOf) and reports a never-closed
 * quote at end of file, so the file is scanned again to find the record.
 */
async function recordLineForCopyLine(open: () => Promise<Readable>, copyLine: number, firstLine: number | undefined): Promise<number | undefined> {
  const stream = await open();
  try {
    const header = await readHeader(stream);
    const scanner = new CsvScanner();
    let buf = header.rest;
    let pos = 0;
    let atEof = false;
    let line = firstLine ?? header.lines + 1;
    let copyLines = 0;
    let first = true;
    for (;;) {
      if (pos >= buf.length || scanner.scan(buf, pos, buf.length, atEof) === Scan.NEED_MORE) {
        const next = await header.source.next();
        if (next.done) {
          if (pos >= buf.length || atEof) return undefined;
          atEof = true;
        } else {
          buf = pos >= buf.length ? next.value : Buffer.concat([buf.subarray(pos), next.value]);
          pos = 0;
        }
        continue;
      }
      if (isBlankLine(scanner)) {
        // Not sent to COPY (see blank-lines.ts): a line of the file, not of COPY.
        line++;
        pos = scanner.next;
        continue;
      }
      copyLines += copyLinesOf(scanner, first, scanner.eol);
      first = false;
      if (copyLines >= copyLine || scanner.unterminatedQuote) return line;
      line += 1 + scanner.quotedLineBreaks;
      pos = scanner.next;
    }
  } catch (e) {
    if (e instanceof InputError) return undefined;
    throw e;
  } finally {
    stream.destroy();
  }
}
