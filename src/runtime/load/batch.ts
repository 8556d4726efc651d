import { once } from 'events';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isRowDataError, locateCopyError, rowInputError } from './copy-errors';
import type { RejectReport } from './rejects';

/** CopyData message size: big enough to be cheap, small enough to keep both processes busy. */
export const SEND_SLICE = 256 * 1024;
const SAVEPOINT = 'cdk_data_pipeline_batch';

/**
 * Rows on their way to one COPY statement: their bytes (as COPY should read
 * them, each ending in `\n`) and, per row, the file line it came from and how
 * many lines COPY will count for it, so a COPY error can be traced back to
 * the row, and the batch re-sent without it.
 */
export class Batch {
  buf: Buffer;
  len = 0;
  count = 0;
  /** `len` when the rows were last offered for streaming. */
  streamed = 0;
  /**
   * Bytes counted in `len` but not copied into `buf` yet: `runSrc[runStart..runEnd)`,
   * to go at `buf[runAt..)`. Consecutive rows of a source buffer are copied
   * in one go (see `putRun`).
   */
  private runSrc: Buffer | undefined;
  private runStart = 0;
  private runEnd = 0;
  private runAt = 0;
  /** End offset of each row in `buf`. */
  private ends: Int32Array;
  /** File line where each row starts. */
  fileLines: Int32Array;
  /** Lines COPY counts for each row: 1 + quoted line feeds, or 1 + quoted carriage returns as the first row of a COPY. */
  private copyLines: Int32Array;
  private firstCopyLines: Int32Array;

  constructor(readonly byteCapacity: number, readonly rowCapacity: number) {
    this.buf = Buffer.allocUnsafe(byteCapacity);
    this.ends = new Int32Array(rowCapacity);
    this.fileLines = new Int32Array(rowCapacity);
    this.copyLines = new Int32Array(rowCapacity);
    this.firstCopyLines = new Int32Array(rowCapacity);
  }

  /** Whether `bytes` more bytes and one more row fit. */
  fits(bytes: number): boolean {
    return this.len + bytes <= this.buf.length && this.count < this.rowCapacity;
  }

  /** Makes room for a row larger than the whole batch (only when the batch is empty). */
  ensureCapacity(bytes: number): void {
    if (bytes > this.buf.length) {
      this.settle();
      const bigger = Buffer.allocUnsafe(bytes);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
  }

  /** Copies `src[s..e)` into the row being built. */
  put(src: Buffer, s: number, e: number): void {
    if (this.runSrc) this.settle();
    this.len += src.copy(this.buf, this.len, s, e);
  }

  /**
   * Adds `src[s..e)` to the row being built like `put`, but the copy may
   * wait: while each call continues the bytes of the one before in the same
   * `src`, they are copied in one go when `settle` is called (or anything
   * else is put). `src[s..e)` must not change until then.
   */
  putRun(src: Buffer, s: number, e: number): void {
    if (this.runSrc !== src || this.runEnd !== s) {
      if (this.runSrc) this.settle();
      this.runSrc = src;
      this.runStart = s;
      this.runAt = this.len;
    }
    this.runEnd = e;
    this.len += e - s;
  }

  /** Copies the bytes `putRun` left waiting into `buf`: before `buf` is read, or their source changes. */
  settle(): void {
    const src = this.runSrc;
    if (!src) return;
    this.runSrc = undefined;
    src.copy(this.buf, this.runAt, this.runStart, this.runEnd);
  }

  putByte(c: number): void {
    if (this.runSrc) this.settle();
    this.buf[this.len++] = c;
  }

  /** Ends the row being built (its bytes must already end with `\n`). */
  endRow(fileLine: number, copyLines: number, firstCopyLines: number): void {
    this.ends[this.count] = this.len;
    this.fileLines[this.count] = fileLine;
    this.copyLines[this.count] = copyLines;
    this.firstCopyLines[this.count] = firstCopyLines;
    this.count++;
  }

  rowBytes(i: number): Buffer {
    this.settle();
    return this.buf.subarray(i === 0 ? 0 : this.ends[i - 1], this.ends[i] - 1);
  }

  /** Index of the row containing COPY's line `copyLine`, skipping rows in `skip`; -1 if none. */
  rowAtCopyLine(copyLine: number, skip: ReadonlySet<number>): number {
    let line = 0;
    for (let i = 0; i < this.count; i++) {
      if (skip.has(i)) continue;
      line += line === 0 ? this.firstCopyLines[i] : this.copyLines[i];
      if (line >= copyLine) return i;
    }
    return -1;
  }

  /** Bytes of rows `from..to-1` without the rows in `skip`, in as few slices as possible. */
  *slices(skip: ReadonlySet<number>, maxSlice: number, from = 0, to = this.count): Generator<Buffer> {
    this.settle();
    const buf = this.buf;
    function* run(s: number, e: number): Generator<Buffer> {
      for (let p = s; p < e; p += maxSlice) yield buf.subarray(p, Math.min(e, p + maxSlice));
    }
    let runStart = from === 0 ? 0 : this.ends[from - 1];
    let runEnd = runStart;
    for (let i = from; i < to; i++) {
      if (skip.size > 0 && skip.has(i)) {
        yield* run(runStart, runEnd);
        runStart = runEnd = this.ends[i];
      } else {
        runEnd = this.ends[i];
      }
    }
    yield* run(runStart, runEnd);
  }

  clear(): void {
    this.runSrc = undefined;
    this.len = 0;
    this.count = 0;
    this.streamed = 0;
  }
}

/**
 * Streams a batch's rows into one COPY as soon as they are checked, so Node
 * checks rows while PostgreSQL stores the previous ones, and ends the COPY
 * when the batch is full. The batch's bytes are kept until then: under
 * SKIP_AND_REPORT each COPY runs under a savepoint, and when PostgreSQL
 * refuses a row the COPY is rolled back and the batch re-sent without it.
 */
export class StreamingSender {
  rowsLoaded = 0;
  private copy: CopyStream | undefined;
  private copyError: Error | undefined;
  private savepoint = false;
  /** Rows of the current batch already written to the open COPY. */
  private sentRows = 0;
  private readonly skip = new Set<number>();

  constructor(
    private readonly client: ClientBase,
    private readonly copySql: string,
    private readonly guarded: boolean,
    private readonly names: string[],
    private readonly rejects: RejectReport,
  ) {}

  /** Whether the open COPY has more bytes waiting than the connection takes at once. */
  get backedUp(): boolean {
    return this.copy?.writableNeedDrain ?? false;
  }

  /**
   * Writes the rows added to `batch` since the last call; unless
   * `waitForDrain`, without waiting for the connection to take them (they
   * stay in the batch's bytes until sent).
   */
  async push(batch: Batch, waitForDrain = true): Promise<void> {
    for (;;) {
      try {
        if (!this.copy) await this.open();
        for (const slice of batch.slices(this.skip, SEND_SLICE, this.sentRows, batch.count)) await this.write(slice, waitForDrain);
        this.sentRows = batch.count;
        return;
      } catch (e) {
        await this.recover(e, batch);
      }
    }
  }

  /** Ends the batch's COPY once every row is stored; the batch can then be reused. */
  async finish(batch: Batch): Promise<void> {
    for (;;) {
      await this.push(batch);
      try {
        const rows = await this.end();
        if (this.savepoint) await this.client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
        this.savepoint = false;
        this.rowsLoaded += rows;
        this.skip.clear();
        this.sentRows = 0;
        return;
      } catch (e) {
        await this.recover(e, batch);
      }
    }
  }

  /** Waits for an open COPY to end (after an error elsewhere) so the connection can be used again. */
  async abandon(): Promise<void> {
    const copy = this.copy;
    this.copy = undefined;
    if (copy && !this.copyError) {
      await new Promise<void>((resolve) => {
        copy.once('finish', () => resolve());
        copy.once('error', () => resolve());
        copy.destroy(new Error('load aborted'));
      });
    }
  }

  private async open(): Promise<void> {
    if (this.guarded && !this.savepoint) {
      await this.client.query(`SAVEPOINT ${SAVEPOINT}`);
      this.savepoint = true;
    }
    const copy = this.client.query(copyFrom(this.copySql));
    this.copyError = undefined;
    copy.on('error', (e: Error) => { this.copyError = e; });
    this.copy = copy;
    this.sentRows = 0;
  }

  private async write(slice: Buffer, waitForDrain: boolean): Promise<void> {
    const copy = this.copy!;
    if (this.copyError) throw this.copyError;
    if (!copy.write(slice) && waitForDrain) await once(copy, 'drain');
  }

  private async end(): Promise<number> {
    const copy = this.copy!;
    if (this.copyError) throw this.copyError;
    await new Promise<void>((resolve, reject) => {
      copy.once('finish', () => resolve());
      copy.once('error', reject);
      copy.end();
    });
    this.copy = undefined;
    return copy.rowCount;
  }

  private async recover(e: unknown, batch: Batch): Promise<void> {
    this.copy = undefined;
    if (!isRowDataError(e)) throw e;
    const where = locateCopyError(e, this.names);
    const row = where.copyLine === undefined ? -1 : batch.rowAtCopyLine(where.copyLine, this.skip);
    if (!this.guarded || row < 0) {
      throw rowInputError(row >= 0 ? batch.fileLines[row] : undefined, where.column, where.reason);
    }
    await this.client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    this.skip.add(row);
    this.rejects.add(batch.fileLines[row], where.column ? `column "${where.column}": ${where.reason}` : where.reason, batch.rowBytes(row));
  }
}

type CopyStream = ReturnType<typeof copyFrom>;
