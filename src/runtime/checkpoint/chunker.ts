/**
 * Splits the data of a CSV file (the bytes after the header) into segments
 * of whole records, so each segment can be loaded and committed with its
 * checkpoint on its own, and a later attempt can start reading at a segment
 * boundary (an S3 ranged GET, a seek).
 *
 * A boundary is a line end outside quotes: `\n` (which ends `\r\n` too), or a
 * `\r` not followed by `\n`. Whether a position is inside quotes is the
 * parity of the `"` bytes before it, which is how PostgreSQL's CSV COPY and
 * the checked loader split records (an escaped quote is `""`: two bytes,
 * parity unchanged). Boundaries are only ever taken where the parity is
 * even, so every segment starts at the start of a record, and the same file
 * always splits the same way, whatever attempt reads it.
 *
 * A segment ends at the first boundary once it holds `rows` line ends or
 * `maxBytes` bytes. Blank lines count as line ends here (the sinks skip
 * them), so a segment holds at most `rows` records. The last segment is
 * flagged, so the caller can finish the file in the same transaction.
 */

export interface Segment {
  /** The segment's bytes, in file order. */
  readonly buffers: readonly Buffer[];
  readonly bytes: number;
  /** File offset of the segment's first byte. */
  readonly start: number;
  /** File offset just after its last byte: where the next attempt resumes. */
  readonly end: number;
  /** Physical line of the file the segment starts on. */
  readonly firstLine: number;
  /** Physical line just after it. */
  readonly nextLine: number;
  /** True when the file ends with this segment. */
  readonly last: boolean;
}

export interface ChunkerOptions {
  /** File offset of the first byte the source yields. */
  readonly start: number;
  /** Physical line that byte is on. */
  readonly firstLine: number;
  /** Line ends per segment (at least 1). */
  readonly rows: number;
  /** A segment ends at the next boundary once it holds this many bytes. */
  readonly maxBytes: number;
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const RETURN = 0x0d;

/** Default byte cap of a segment: rows are buffered in memory until their chunk commits. */
export const MAX_SEGMENT_BYTES = 32 * 1024 * 1024;

class Splitter implements Splitting<Omit<Segment, 'last'>> {
  private parts: Buffer[] = [];
  private bytes = 0;
  private start: number;
  private firstLine: number;
  private line: number;
  private lineEnds = 0;
  private inQuote = false;
  /**
   * The previous buffer ended with `\r`: a line end (a boundary when outside
   * quotes) unless this one starts with `\n`.
   */
  private pendingReturn: 'no' | 'quoted' | 'open' = 'no';
  private offset: number;

  constructor(private readonly o: ChunkerOptions) {
    this.start = o.start;
    this.offset = o.start;
    this.firstLine = o.firstLine;
    this.line = o.firstLine;
  }

  /** Consumes `buf`; returns the segments it completes (not yet flagged last). */
  push(buf: Buffer): Omit<Segment, 'last'>[] {
    const done: Omit<Segment, 'last'>[] = [];
    let from = 0;
    let i = 0;
    if (this.pendingReturn !== 'no' && buf.length > 0) {
      const open = this.pendingReturn === 'open';
      this.pendingReturn = 'no';
      if (buf[0] !== NEWLINE) {
        // The `\r` that ended the previous buffer was a line end of its own.
        this.line++;
        if (open && this.endOfLine()) done.push(this.cut(buf, 0, 0));
      }
    }
    const n = buf.length;
    for (; i < n; i++) {
      const c = buf[i];
      if (c === QUOTE) {
        this.inQuote = !this.inQuote;
      } else if (c === NEWLINE) {
        this.line++;
        if (!this.inQuote && this.endOfLine()) {
          done.push(this.cut(buf, from, i + 1));
          from = i + 1;
        }
      } else if (c === RETURN) {
        if (i + 1 >= n) {
          this.pendingReturn = this.inQuote ? 'quoted' : 'open';
        } else if (buf[i + 1] !== NEWLINE) {
          this.line++;
          if (!this.inQuote && this.endOfLine()) {
            done.push(this.cut(buf, from, i + 1));
            from = i + 1;
          }
        }
      }
    }
    if (from < n) {
      this.parts.push(from === 0 ? buf : buf.subarray(from));
      this.bytes += n - from;
    }
    this.offset += n;
    return done;
  }

  /** What is left at the end of the data (possibly empty). */
  end(): Omit<Segment, 'last'> {
    if (this.pendingReturn !== 'no') {
      this.pendingReturn = 'no';
      this.line++;
    }
    return this.take(this.offset, this.line);
  }

  private endOfLine(): boolean {
    this.lineEnds++;
    return this.lineEnds >= this.o.rows || this.bytes >= this.o.maxBytes;
  }

  /** Ends the current segment after `buf[from, to)`; `to` is a boundary. */
  private cut(buf: Buffer, from: number, to: number): Omit<Segment, 'last'> {
    if (to > from) {
      this.parts.push(buf.subarray(from, to));
      this.bytes += to - from;
    }
    return this.take(this.offset + to, this.line);
  }

  private take(end: number, nextLine: number): Omit<Segment, 'last'> {
    const segment = { buffers: this.parts, bytes: this.bytes, start: this.start, end, firstLine: this.firstLine, nextLine };
    this.parts = [];
    this.bytes = 0;
    this.lineEnds = 0;
    this.start = end;
    this.firstLine = nextLine;
    return segment;
  }
}

/** What splits a stream of buffers into pieces: the chunker's Splitter, the parallel loader's cutter. */
export interface Splitting<P extends { readonly bytes: number }> {
  /** Consumes a buffer; returns the pieces it completes. */
  push(buf: Buffer): P[];
  /** What is left at the end of the data (possibly empty). */
  end(): P;
}

/**
 * The pieces `splitting` cuts from `first` followed by the rest of `source`.
 * One piece is held back until the next has a byte (or the data ends), so the
 * last one is known as such. Data that ends right after a boundary yields no
 * empty piece after it; no data at all yields one empty, last piece. With
 * `skipEmpty`, empty pieces in between are dropped too.
 */
export async function* lastMarked<P extends { readonly bytes: number }>(
  first: Buffer, source: AsyncIterator<Buffer>, splitting: Splitting<P>, skipEmpty = false,
): AsyncGenerator<P & { readonly last: boolean }> {
  let held: P | undefined;
  let chunk: Buffer | undefined = first;
  for (;;) {
    if (chunk === undefined) {
      const next = await source.next();
      if (next.done) break;
      chunk = next.value;
    }
    for (const piece of splitting.push(chunk)) {
      if (skipEmpty && piece.bytes === 0) continue;
      if (held) yield { ...held, last: false };
      held = piece;
    }
    chunk = undefined;
  }
  const rest = splitting.end();
  if (rest.bytes > 0 || !held) {
    if (held) yield { ...held, last: false };
    yield { ...rest, last: true };
  } else {
    yield { ...held, last: true };
  }
}

/** The record-aligned segments of `first` followed by the rest of `source` (see lastMarked). */
export async function* segmentsOf(first: Buffer, source: AsyncIterator<Buffer>, options: ChunkerOptions): AsyncGenerator<Segment> {
  if (!Number.isInteger(options.rows) || options.rows < 1) throw new Error(`rows per chunk must be a whole number >= 1 (got ${options.rows})`);
  yield* lastMarked(first, source, new Splitter(options));
}
