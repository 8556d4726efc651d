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
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes);
  }

  /** Copies `src[s..e)` into the row being built. */
  put(src: Buffer, s: number, e: number): void {
    this.len += src.copy(this.buf, this.len, s, e);
  }

  putByte(c: number): void {
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
    this.len = 0;
    this.count = 0;
  }
}
