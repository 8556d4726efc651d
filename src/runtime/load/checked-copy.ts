import { isUtf8 } from 'buffer';
import type { PoolClient } from 'pg';
import { Batch, SEND_SLICE, StreamingSender } from './batch';
import { rowInputError } from './copy-errors';
import { CsvScanner, Scan } from './csv-scanner';
import type { ColumnPlan, ParsedHeader } from './header';
import type { RejectReport } from './rejects';
import { RowChecks } from './row-checks';
import type { PostgresTableSinkConfig } from '../../shared/sink-config';

/**
 * Rows PostgreSQL may still refuse after the JavaScript checks are sent in
 * batches small enough that re-sending one after a refusal is cheap; the
 * others in batches large enough that the per-COPY overhead is negligible.
 */
const MAIN_BATCH_BYTES = 8 * 1024 * 1024;
export const MAIN_BATCH_ROWS = 128 * 1024;
export const UNSURE_BATCH_BYTES = 256 * 1024;
export const UNSURE_BATCH_ROWS = 1024;
/** A record this long is a broken file (e.g. a quote never closed), not data. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/**
 * A record cut by the end of a chunk, up to this long, is scanned again in a
 * small buffer of it and the next chunk's first STITCH_HEAD bytes (where it
 * almost always ends), not in a copy of the whole next chunk.
 */
const STITCH_MAX_PARTIAL = 1024;
const STITCH_HEAD = 2048;

/** What the checks read: the file after its header, and where to list its bad rows. */
export interface RowCheck {
  readonly config: PostgresTableSinkConfig;
  readonly plan: ColumnPlan;
  readonly header: ParsedHeader;
  readonly rejects: RejectReport;
  /**
   * Physical line the first record after the header is on, when the data
   * is a chunk of a longer file.
   *
   * @default - the line after the header
   */
  readonly firstLine?: number;
}

export interface CheckedLoad extends RowCheck {
  readonly client: PoolClient;
  /** `COPY table (the plan's loaded columns in file order) FROM STDIN (FORMAT csv)`. */
  readonly copySql: string;
}

/**
 * Where the good rows go, in batches: through one connection (below), or
 * several (./parallel/checked-lanes.ts).
 */
export interface CheckedRows {
  /** The batch the next row goes to; `unsure`: PostgreSQL may still refuse it (under SKIP_AND_REPORT, a small batch). */
  batchFor(unsure: boolean): Batch;
  /** `batch` has no room for the next row: sends its rows on, so that `batchFor` has room again. */
  full(batch: Batch): Promise<void>;
  /** `batch` grew by SEND_SLICE bytes since it was last streamed: streams them if it can. */
  stream(batch: Batch): Promise<void>;
  /** Every row is checked: sends the rest; returns the number of rows loaded. */
  end(): Promise<number>;
  /** After an error: ends the COPYs in flight, so that the connections can roll back. */
  abandon(): Promise<void>;
}

/**
 * Reads every record in JavaScript with a PostgreSQL-compatible scanner,
 * checks structure, encoding, NULLs and field types, and forwards the raw
 * bytes of good rows (only the declared columns' fields when the file has
 * extra columns) to COPY while the next batch is being checked, so Node and
 * PostgreSQL work in parallel. Rows a check cannot judge go in small batches
 * under a savepoint; if PostgreSQL refuses one, the batch is rolled back and
 * re-sent without it. Under FAIL_FILE the first bad row throws. Returns the
 * number of rows loaded.
 */
export async function loadChecked(job: CheckedLoad): Promise<number> {
  const names = job.config.columns.map((c) => c.name);
  return checkRows(job, new OneConnection(job.client, job.copySql, job.config.badRows === 'SKIP_AND_REPORT', names, job.rejects));
}

/** The checks of `loadChecked`, the good rows going to `rows`; bad rows are listed in `job.rejects` (or throw, under FAIL_FILE). */
export async function checkRows(job: RowCheck, rows: CheckedRows): Promise<number> {
  const { config, plan, header, rejects } = job;
  const policy = config.badRows;
  const fieldChecks = new RowChecks(config, plan);
  const fieldToColumn = plan.fieldToColumn;
  const fieldCount = plan.fieldCount;
  const hasExtras = plan.extras.length > 0;

  const reject = (line: number, column: string | undefined, reason: string, raw: Buffer): void => {
    if (policy === 'FAIL_FILE') throw rowInputError(line, column, reason);
    rejects.add(line, column ? `column "${column}": ${reason}` : reason, raw);
  };

  // Good rows' bytes are copied into their batch a run of rows at a time
  // (Batch.putRun): the copies left waiting are made before the rows are
  // handed on and before the next chunk is read.
  const settle = (): void => {
    rows.batchFor(false).settle();
    rows.batchFor(true).settle();
  };
  const scanner = new CsvScanner();
  // A record with too many fields across a quoted line break is rejected by its first line (below): only its end matters.
  scanner.brokenAfterFields = fieldCount;
  let buf = header.rest;
  let pos = 0;
  let atEof = false;
  // While `buf` is a record cut by a chunk's end followed by the start of the
  // next chunk `stitchFrom`: where that start is in `buf`.
  let stitchFrom: Buffer | undefined;
  let stitchAt = 0;
  let line = job.firstLine ?? header.lines + 1;
  try {
    for (;;) {
      if (stitchFrom !== undefined && pos >= stitchAt) {
        // Past the cut record: on in the chunk itself.
        buf = stitchFrom;
        pos -= stitchAt;
        stitchFrom = undefined;
      }
      if (pos >= buf.length) {
        if (atEof) break;
        settle();
        const next = await header.source.next();
        if (next.done) { atEof = true; continue; }
        buf = next.value;
        pos = 0;
        continue;
      }
      if (scanner.scan(buf, pos, buf.length, atEof) === Scan.NEED_MORE) {
        if (stitchFrom !== undefined) {
          // The record goes on past the chunk's start: scan it again with the whole chunk.
          buf = Buffer.concat([buf.subarray(pos, stitchAt), stitchFrom]);
          pos = 0;
          stitchFrom = undefined;
          continue;
        }
        if (buf.length - pos > MAX_RECORD_BYTES) {
          throw rowInputError(line, undefined, `a row is longer than ${MAX_RECORD_BYTES} bytes (is a quote never closed?)`);
        }
        if (buf.length - pos <= STITCH_MAX_PARTIAL) {
          settle();
          const partial = buf.subarray(pos);
          const next = await header.source.next();
          pos = 0;
          if (next.done) {
            atEof = true;
            buf = partial;
          } else if (next.value.length > STITCH_HEAD) {
            buf = Buffer.concat([partial, next.value.subarray(0, STITCH_HEAD)]);
            stitchFrom = next.value;
            stitchAt = partial.length;
          } else {
            buf = Buffer.concat([partial, next.value]);
          }
          continue;
        }
        // Read at least as much again as the partial record before rescanning
        // it, so a record spanning many chunks costs linear, not quadratic, time.
        const parts = [buf.subarray(pos)];
        let added = 0;
        settle();
        while (added < Math.max(buf.length - pos, 64 * 1024)) {
          const next = await header.source.next();
          if (next.done) { atEof = true; break; }
          parts.push(next.value);
          added += next.value.length;
        }
        buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
        pos = 0;
        continue;
      }
      const rs = scanner.recordStart;
      const re = scanner.recordEnd;
      if (rs === re && isBlankLine(scanner)) {
        // A blank line is not a record: skipped, but still a line of the file.
        pos = scanner.next;
        line++;
        continue;
      }
      const recordLine = line;
      let reason: string | undefined;
      let column: string | undefined;
      let unsure = false;

      if (scanner.unterminatedQuote) {
        reason = 'unterminated CSV quoted field';
      } else if (scanner.mixedLineEnding) {
        reason = scanner.mixedLineEnding;
      } else if (scanner.fieldCount !== fieldCount) {
        reason = scanner.fieldCount > fieldCount
          ? `extra data after last expected column (${scanner.fieldCount} fields, the header has ${fieldCount})`
          : `missing data for column "${missingColumnName(config, plan, scanner.fieldCount)}" (${scanner.fieldCount} fields, the header has ${fieldCount})`;
      }
      if (reason !== undefined && scanner.quotedLineBreaks > 0) {
        // A quote opened and never closed on its line swallows the following
        // lines into one broken record; reject just that line and carry on.
        const firstBreak = firstLineBreak(buf, rs, re);
        if (oddQuotes(buf, rs, firstBreak)) {
          reject(recordLine, undefined, 'unterminated CSV quoted field (the quote opened on this line is not closed)', buf.subarray(rs, firstBreak));
          pos = buf[firstBreak] === 0x0d && buf[firstBreak + 1] === 0x0a ? firstBreak + 2 : firstBreak + 1;
          line++;
          continue;
        }
      }
      if (reason === undefined && (scanner.nulByte || (scanner.highBytes && !isUtf8(buf.subarray(rs, re))))) {
        reason = 'invalid byte sequence for encoding "UTF8"';
        column = badEncodingColumn(scanner, buf, config, plan);
      }
      if (reason === undefined) {
        fieldChecks.run(buf, scanner);
        reason = fieldChecks.reason;
        column = fieldChecks.column;
        unsure = fieldChecks.unsure;
      }
      pos = scanner.next;
      line += 1 + scanner.quotedLineBreaks;
      if (reason !== undefined) {
        reject(recordLine, column, reason, buf.subarray(rs, re));
        continue;
      }

      const size = re - rs + 3;
      let batch = rows.batchFor(unsure);
      if (!batch.fits(size) && batch.count > 0) {
        settle();
        await rows.full(batch);
        batch = rows.batchFor(unsure);
      }
      if (batch.count === 0) batch.ensureCapacity(size);
      if (hasExtras) {
        appendMappedFields(batch, buf, scanner, fieldToColumn);
        batch.putByte(0x0a);
      } else if (re - rs === 2 && buf[rs] === 0x5c && buf[rs + 1] === 0x2e) {
        // `\.` alone is COPY's end-of-data marker; quoted it is the value.
        batch.put(Buffer.from('"\\."'), 0, 4);
        batch.putByte(0x0a);
      } else if (scanner.next === re + 1 && buf[re] === 0x0a) {
        // The row as COPY reads it is the record with its own line feed.
        batch.putRun(buf, rs, re + 1);
      } else {
        batch.put(buf, rs, re);
        batch.putByte(0x0a);
      }
      batch.endRow(recordLine, 1 + scanner.quotedLineFeeds, 1 + scanner.quotedCarriageReturns);
      if (batch.len - batch.streamed >= SEND_SLICE) {
        settle();
        await rows.stream(batch);
      }
    }
    settle();
    return await rows.end();
  } catch (e) {
    // End the COPYs in flight before the caller rolls back.
    await rows.abandon().catch(() => undefined);
    throw e;
  }
}

/**
 * Whether the record the scanner just found is a blank line: a line break of
 * the file's line ending right where the record starts. A line with spaces,
 * `""`, or a line break of another style is not blank.
 */
export function isBlankLine(scanner: CsvScanner): boolean {
  return scanner.recordStart === scanner.recordEnd && scanner.next > scanner.recordEnd && scanner.mixedLineEnding === undefined;
}

function appendMappedFields(batch: Batch, buf: Buffer, scanner: CsvScanner, fieldToColumn: number[]): void {
  let first = true;
  const start = batch.len;
  for (let f = 0; f < fieldToColumn.length; f++) {
    if (fieldToColumn[f] < 0) continue;
    if (!first) batch.putByte(0x2c);
    first = false;
    batch.put(buf, scanner.fieldStart[f], scanner.fieldEnd[f]);
  }
  batch.settle();
  if (batch.len - start === 2 && batch.buf[start] === 0x5c && batch.buf[start + 1] === 0x2e) {
    batch.len = start;
    batch.put(Buffer.from('"\\."'), 0, 4);
  }
}

function missingColumnName(config: PostgresTableSinkConfig, plan: ColumnPlan, fields: number): string {
  for (let f = fields; f < plan.fieldCount; f++) {
    const c = plan.fieldToColumn[f];
    if (c >= 0) return config.columns[c].name;
  }
  return '(extra)';
}

function badEncodingColumn(scanner: CsvScanner, buf: Buffer, config: PostgresTableSinkConfig, plan: ColumnPlan): string | undefined {
  for (let f = 0; f < scanner.fieldCount && f < plan.fieldCount; f++) {
    const field = buf.subarray(scanner.fieldStart[f], scanner.fieldEnd[f]);
    if (!isUtf8(field) || field.includes(0)) {
      const c = plan.fieldToColumn[f];
      return c >= 0 ? config.columns[c].name : undefined;
    }
  }
  return undefined;
}

function firstLineBreak(b: Buffer, s: number, e: number): number {
  for (let p = s; p < e; p++) if (b[p] === 0x0a || b[p] === 0x0d) return p;
  return e;
}

function oddQuotes(b: Buffer, s: number, e: number): boolean {
  let n = 0;
  for (let p = s; p < e; p++) if (b[p] === 0x22) n++;
  return n % 2 === 1;
}

/**
 * One connection: good rows stream into a COPY of up to MAIN_BATCH_BYTES
 * while they are checked; rows PostgreSQL may refuse get their own COPY
 * (between two main batches), so a refusal costs re-sending at most that
 * small batch.
 */
class OneConnection implements CheckedRows {
  private readonly sender: StreamingSender;
  private readonly main = new Batch(MAIN_BATCH_BYTES, MAIN_BATCH_ROWS);
  private readonly side: Batch | undefined;

  constructor(client: PoolClient, copySql: string, guarded: boolean, names: string[], rejects: RejectReport) {
    this.sender = new StreamingSender(client, copySql, guarded, names, rejects);
    this.side = guarded ? new Batch(UNSURE_BATCH_BYTES, UNSURE_BATCH_ROWS) : undefined;
  }

  batchFor(unsure: boolean): Batch {
    return unsure && this.side ? this.side : this.main;
  }

  async full(batch: Batch): Promise<void> {
    if (batch === this.main) await this.flushMain(); else await this.flushSide();
  }

  async stream(batch: Batch): Promise<void> {
    batch.streamed = batch.len;
    // The small batch has its own COPY, after the main batch's.
    if (batch === this.main) await this.sender.push(batch);
  }

  async end(): Promise<number> {
    if (this.main.count > 0) await this.flushMain();
    if (this.side && this.side.count > 0) await this.flushSide();
    return this.sender.rowsLoaded;
  }

  abandon(): Promise<void> {
    return this.sender.abandon();
  }

  private async flushMain(): Promise<void> {
    await this.sender.finish(this.main);
    this.main.clear();
  }

  private async flushSide(): Promise<void> {
    if (this.main.count > 0) await this.flushMain();
    await this.sender.finish(this.side!);
    this.side!.clear();
  }
}
