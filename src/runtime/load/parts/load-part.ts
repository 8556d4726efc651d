/**
 * Loads one part of a split file: its records, from the boundary its range
 * starts at to the one the next range starts at, COPYed into the file's
 * parts table through the same fast path as a one-process load (blank lines
 * dropped, `\.` refused), and its record in the ledger, in one transaction.
 * A process killed before COMMIT leaves nothing (the server rolls back);
 * after COMMIT the part is done, and a second run of it finds its record
 * and loads nothing.
 */
import { Readable } from 'stream';
import type { ClientBase, PoolClient } from 'pg';
import { recordPart } from './part-records';
import { bytesBetween, OpenAt } from './ranges';
import { partsTableRef } from './staging';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { BlankLinesNeedChecking, quoteStateFromStart } from '../blank-lines';
import { isRowDataError, locateCopyError, rowInputError } from '../copy-errors';
import { recordLineForCopyLine } from '../copy-lines';
import { copyRawBytes, EndOfDataMarkerFound } from '../fast-copy';
import { ColumnPlan } from '../header';
import { lineEndingOf } from '../parallel/line-ending';
import { FILE_ID_SETTING, quoteIdent } from '../validate-config';

/** The file cannot be split this way (not a problem of the file: load it without `--part`). */
export class CannotSplitError extends Error {
  constructor(message: string) {
    super(`${message}; process the file without --part (one process loads it whole)`);
    this.name = 'CannotSplitError';
  }
}

/** Another run of the same part committed first. */
export class PartTakenError extends Error {
  constructor(part: number) {
    super(`part ${part} was committed by another run of it at the same time; nothing of this run is kept`);
    this.name = 'PartTakenError';
  }
}

export interface PartLoad {
  readonly config: PostgresTableSinkConfig;
  readonly fileId: number;
  readonly part: number;
  readonly parts: number;
  /** The parts table's oid (what the part's record is for). */
  readonly staging: number;
  readonly plan: ColumnPlan;
  /** The file's bytes before its data (BOM, header, its line end). */
  readonly headerBytes: Buffer;
  readonly openAt: OpenAt;
  /** The part's records: [from, to), both record boundaries. */
  readonly from: number;
  readonly to: number;
  /** File line at `from`. */
  readonly firstLine: number;
  /** How the file's first record ends (COPY holds every line to it); undefined when unknown. */
  readonly fileEnding: ReturnType<typeof lineEndingOf>;
  /** Awaited once the COPY has sent its first bytes (tests stop the process there). */
  readonly onCopying?: () => Promise<void> | void;
}

/** COPYs the part and records it, committed; returns the rows stored. */
export async function loadPart(client: ClientBase, p: PartLoad): Promise<number> {
  const names = p.config.columns.map((c) => c.name);
  const copySql = `COPY ${partsTableRef(p.config, p.fileId)} (${p.plan.loadedColumns.map((c) => quoteIdent(names[c])).join(', ')}) FROM STDIN (FORMAT csv)`;
  await checkLineEnding(p);
  // The part as a small CSV file of its own: what the blank-line filter and the error's line search read again.
  const asFile = async () => Readable.from((async function* () {
    yield p.headerBytes;
    yield* bytesBetween(p.openAt, p.from, p.to);
  })());
  await client.query('BEGIN');
  try {
    await client.query('SELECT set_config($1, $2, true)', [FILE_ID_SETTING, String(p.fileId)]);
    let rows: number;
    try {
      let told = false;
      const onCopying = p.onCopying;
      const data = (async function* () {
        for await (const b of bytesBetween(p.openAt, p.from, p.to)) {
          yield b;
          if (!told && onCopying) {
            told = true;
            await onCopying();
          }
        }
      })();
      rows = await copyRawBytes(client as PoolClient, copySql, Buffer.alloc(0), data, quoteStateFromStart(asFile));
    } catch (e) {
      if (e instanceof EndOfDataMarkerFound || e instanceof BlankLinesNeedChecking) {
        throw new CannotSplitError(`part ${p.part} (from line ${p.firstLine}) ${e instanceof EndOfDataMarkerFound
          ? 'has a line \\. that only the checked path loads'
          : 'has blank lines next to line breaks of another style, which only the checked path loads'}`);
      }
      if (!isRowDataError(e)) throw e;
      const where = locateCopyError(e, names);
      const line = where.copyLine === undefined ? undefined : await recordLineForCopyLine(asFile, where.copyLine, p.firstLine);
      throw rowInputError(line, where.column, where.reason);
    }
    if (!(await recordPart(client, p.fileId, p.parts, p.staging, { part: p.part, rows, rejected: 0, firstLine: p.firstLine }))) {
      throw new PartTakenError(p.part);
    }
    await client.query('COMMIT');
    return rows;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** COPY takes the line ending from the first line it reads: the part must start with the file's. */
async function checkLineEnding(p: PartLoad): Promise<void> {
  if (p.fileEnding === undefined || p.to <= p.from) return;
  const head: Buffer[] = [];
  for await (const b of bytesBetween(p.openAt, p.from, Math.min(p.to, p.from + 1024 * 1024))) head.push(b);
  const ending = lineEndingOf(head);
  if (ending !== undefined && ending !== p.fileEnding) {
    throw new CannotSplitError(`line ${p.firstLine}, where part ${p.part} starts, ends with ${ending} but the file's first record with ${p.fileEnding}`);
  }
}
