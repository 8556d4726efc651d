/**
 * Loads one part of a split file: its records, from the boundary its range
 * starts at to the one the next range starts at, COPYed into the file's
 * parts table, and its record in the ledger, in one transaction. A process
 * killed before COMMIT leaves nothing (the server rolls back); after COMMIT
 * the part is done, and a second run of it finds its record and loads
 * nothing.
 *
 * The part is loaded as a small CSV file of its own (the file's header and
 * the part's records) by the same paths as a whole file: FAIL_FILE through
 * the COPY fast path (blank lines dropped), falling back to the checked path
 * where the fast path cannot be sure (a line `\.`, blank lines next to line
 * breaks of another style, a part whose first record ends with another line
 * ending than the file's); SKIP_AND_REPORT, and headers with extra columns,
 * through the checked path, its rejects listed with the file's line numbers.
 *
 * Two files cannot be split and fail with `CannotSplitError`: a part whose
 * first record ends with another line ending than the file's first (COPY
 * and the checked path judge every line by the first they read), and,
 * under SKIP_AND_REPORT, a quote never closed (the checked path rejects its
 * line and reads on from the next, while the parts were cut by quote
 * parity, which counts that quote: the records after it could differ).
 */
import { Readable } from 'stream';
import type { ClientBase, PoolClient } from 'pg';
import { recordPart } from './part-records';
import { partRejects } from './part-rejects';
import { bytesBetween, OpenAt } from './ranges';
import { partsTableRef } from './staging';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { BlankLinesNeedChecking, quoteStateFromStart } from '../blank-lines';
import { loadChecked } from '../checked-copy';
import { isRowDataError, locateCopyError, rowInputError } from '../copy-errors';
import { recordLineForCopyLine } from '../copy-lines';
import { copyRawBytes, EndOfDataMarkerFound } from '../fast-copy';
import { ColumnPlan, readHeader } from '../header';
import { lineEndingOf } from '../parallel/line-ending';
import { RejectReport } from '../rejects';
import { FILE_ID_SETTING, quoteIdent } from '../validate-config';

/** The file cannot be split this way (its content loads whole in one process): the file fails, saying so. */
export class CannotSplitError extends Error {
  constructor(message: string) {
    super(`${message}; process the file without --part (one process loads it whole)`);
    this.name = 'CannotSplitError';
  }
}

/**
 * What the checked path says when it rejects the line of a quote never
 * closed and reads on from the next line (checked-copy.ts): the one place
 * where its records part from quote parity, by which the parts were cut.
 */
const RESYNC = /(?:^|\n)(\d+),unterminated CSV quoted field \(the quote opened on this line is not closed\)/;

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

export interface LoadedPart {
  readonly rows: number;
  readonly rejected: number;
  readonly rejectsCsv: string;
  readonly listed: number;
}

/** COPYs the part and records it, committed. */
export async function loadPart(client: ClientBase, p: PartLoad): Promise<LoadedPart> {
  const names = p.config.columns.map((c) => c.name);
  const copySql = `COPY ${partsTableRef(p.config, p.fileId)} (${p.plan.loadedColumns.map((c) => quoteIdent(names[c])).join(', ')}) FROM STDIN (FORMAT csv)`;
  const asFile = async () => Readable.from((async function* () {
    yield p.headerBytes;
    yield* bytesBetween(p.openAt, p.from, p.to);
  })());
  const ending = await partEnding(p);
  if (ending !== undefined && p.fileEnding !== undefined && ending !== p.fileEnding) {
    throw new CannotSplitError(`line ${p.firstLine}, where part ${p.part} starts, ends with ${ending} but the file's first record with ${p.fileEnding}`);
  }
  const fast = p.config.badRows === 'FAIL_FILE' && p.plan.extras.length === 0;
  const loaded = fast ? await inTransaction(client, p, () => copyFast(client, p, copySql, asFile)) : 'use-checked';
  if (loaded !== 'use-checked') return loaded;
  return inTransaction(client, p, async () => {
    const rejects = new RejectReport();
    const header = await readHeader(await asFile());
    const { config, plan, firstLine } = p;
    const rows = await loadChecked({ client: client as PoolClient, config, plan, header, copySql, rejects, firstLine });
    const listed = partRejects(rejects);
    const resync = RESYNC.exec(listed.rejectsCsv);
    if (resync) throw new CannotSplitError(`line ${resync[1]}: a quoted field opened there is never closed, so where the next records start depends on reading the file from its start`);
    return { rows, rejected: rejects.count, ...listed };
  });
}

/** Runs `body` in a transaction that also records the part; 'use-checked' rolls it back. */
async function inTransaction<T extends LoadedPart | 'use-checked'>(client: ClientBase, p: PartLoad, body: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT set_config($1, $2, true)', [FILE_ID_SETTING, String(p.fileId)]);
    const out = await body();
    if (out === 'use-checked') {
      await client.query('ROLLBACK');
      return out;
    }
    if (!(await recordPart(client, p.fileId, p.parts, p.staging, { part: p.part, firstLine: p.firstLine, ...out }))) throw new PartTakenError(p.part);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function copyFast(client: ClientBase, p: PartLoad, copySql: string, asFile: () => Promise<Readable>): Promise<LoadedPart | 'use-checked'> {
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
  try {
    const rows = await copyRawBytes(client as PoolClient, copySql, Buffer.alloc(0), data, quoteStateFromStart(asFile));
    return { rows, rejected: 0, rejectsCsv: '', listed: 0 };
  } catch (e) {
    if (e instanceof EndOfDataMarkerFound || e instanceof BlankLinesNeedChecking) return 'use-checked';
    if (!isRowDataError(e)) throw e;
    const where = locateCopyError(e, p.config.columns.map((c) => c.name));
    const line = where.copyLine === undefined ? undefined : await recordLineForCopyLine(asFile, where.copyLine, p.firstLine);
    throw rowInputError(line, where.column, where.reason);
  }
}

/** How the part's first record ends (undefined: unknown within its first MiB, or an empty part). */
async function partEnding(p: PartLoad): Promise<ReturnType<typeof lineEndingOf>> {
  if (p.to <= p.from) return undefined;
  const head: Buffer[] = [];
  for await (const b of bytesBetween(p.openAt, p.from, Math.min(p.to, p.from + 1024 * 1024))) head.push(b);
  return lineEndingOf(head);
}
