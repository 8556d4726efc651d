/**
 * The segments of a parallel load: the file's data cut at record boundaries
 * into pieces of about `maxBytes`, by the chunker's rule
 * (../../checkpoint/chunker.ts: a boundary is a line end outside quotes,
 * `\n` or a `\r` not followed by `\n`, and "outside quotes" is the parity of
 * the `"` bytes since the last boundary).
 *
 * Faster than the chunker for this use: up to `maxBytes` into a segment only
 * the quote parity matters, and it is counted four bytes at a time (a word
 * with the bytes equal to `"` marked in their high bit, the marks folded by
 * XOR: their count's parity is the parity of the folded word's bits); only
 * from there on is each byte looked at, until the next boundary. The
 * physical line a segment starts on is not counted on the way: it is only
 * needed for an error message, and `lineAtOffset` finds it then.
 */
/* eslint-disable no-bitwise -- the quote parity is counted four bytes at a time on the hot path. */
import { Readable } from 'stream';
import { lastMarked, Splitting } from '../../checkpoint/chunker';
import { readFileHead } from '../../checkpoint/file-head';

export interface DataSegment {
  readonly buffers: readonly Buffer[];
  readonly bytes: number;
  /** File offset of the first byte. */
  readonly start: number;
  readonly last: boolean;
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const RETURN = 0x0d;

/** Parity (0 or 1) of the number of `"` bytes in `buf[from, to)`. */
export function quoteParity(buf: Buffer, from: number, to: number): number {
  let p = 0;
  let i = from;
  const misaligned = (buf.byteOffset + i) & 3;
  const head = misaligned ? Math.min(to, i + 4 - misaligned) : i;
  for (; i < head; i++) if (buf[i] === QUOTE) p ^= 1;
  const words = (to - i) >>> 2;
  if (words > 0) {
    const u = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    let acc = 0;
    for (let k = 0; k < words; k++) {
      const x = u[k] ^ 0x22222222;
      // High bit of each byte that is zero in x, that is, `"` in the data; exact, no false positives.
      acc ^= ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080;
    }
    acc ^= acc >>> 16;
    acc ^= acc >>> 8;
    p ^= (acc >>> 7) & 1;
    i += words * 4;
  }
  for (; i < to; i++) if (buf[i] === QUOTE) p ^= 1;
  return p;
}

class Cutter implements Splitting<Omit<DataSegment, 'last'>> {
  private parts: Buffer[] = [];
  private bytes = 0;
  private inQuote = false;
  /** The last buffer ended with a `\r` outside quotes, past `maxBytes`: a boundary unless `\n` follows. */
  private pendingReturn = false;

  constructor(private start: number, private readonly maxBytes: number) {}

  /** Consumes `buf`; returns the segments it completes (not yet flagged last). */
  push(buf: Buffer): Omit<DataSegment, 'last'>[] {
    const done: Omit<DataSegment, 'last'>[] = [];
    let from = 0;
    if (this.pendingReturn && buf.length > 0) {
      this.pendingReturn = false;
      if (buf[0] === NEWLINE) {
        done.push(this.cut(buf, 0, 1));
        from = 1;
      } else {
        done.push(this.cut(buf, 0, 0));
      }
    }
    while (from < buf.length) {
      // Up to maxBytes into the segment, only the quote parity matters.
      const skip = Math.min(buf.length, from + Math.max(0, this.maxBytes - this.bytes));
      if (quoteParity(buf, from, skip)) this.inQuote = !this.inQuote;
      let i = skip;
      let cutAt = -1;
      for (; i < buf.length; i++) {
        const c = buf[i];
        if (c === QUOTE) {
          this.inQuote = !this.inQuote;
        } else if (!this.inQuote && c === NEWLINE) {
          cutAt = i + 1;
          break;
        } else if (!this.inQuote && c === RETURN) {
          if (i + 1 >= buf.length) {
            this.pendingReturn = true;
          } else if (buf[i + 1] !== NEWLINE) {
            cutAt = i + 1;
            break;
          }
        }
      }
      if (cutAt < 0) {
        this.keep(buf, from, buf.length);
        break;
      }
      done.push(this.cut(buf, from, cutAt));
      from = cutAt;
    }
    return done;
  }

  end(): Omit<DataSegment, 'last'> {
    this.pendingReturn = false;
    return this.take();
  }

  private keep(buf: Buffer, from: number, to: number): void {
    if (to > from) {
      this.parts.push(from === 0 && to === buf.length ? buf : buf.subarray(from, to));
      this.bytes += to - from;
    }
  }

  private cut(buf: Buffer, from: number, to: number): Omit<DataSegment, 'last'> {
    this.keep(buf, from, to);
    return this.take();
  }

  private take(): Omit<DataSegment, 'last'> {
    const segment = { buffers: this.parts, bytes: this.bytes, start: this.start };
    this.start += this.bytes;
    this.parts = [];
    this.bytes = 0;
    this.inQuote = false;
    return segment;
  }
}

/**
 * The segments of `first` followed by the rest of `source` (data starting at
 * file offset `start`, outside quotes). One segment is held back so that the
 * last is known as such; data that ends right after a boundary yields no
 * empty segment after it, and no data at all one empty, last segment.
 */
export async function* dataSegments(first: Buffer, source: AsyncIterator<Buffer>, start: number, maxBytes: number): AsyncGenerator<DataSegment> {
  yield* lastMarked(first, source, new Cutter(start, Math.max(1, maxBytes)), true);
}

/**
 * The physical line of the file that file offset `offset` (a record
 * boundary) is on, counted as the chunker counts: every `\n`, and every `\r`
 * not followed by `\n`, is a line end, quoted or not.
 */
export async function lineAtOffset(open: () => Promise<Readable>, offset: number): Promise<number> {
  const stream = await open();
  try {
    const head = await readFileHead(stream);
    let line = head.header.lines + 1;
    let pos = head.dataOffset;
    let afterReturn = false;
    let buf: Buffer | undefined = head.header.rest;
    while (buf !== undefined && pos < offset) {
      const n = Math.min(buf.length, offset - pos);
      for (let i = 0; i < n; i++) {
        const c = buf[i];
        if (afterReturn && c !== NEWLINE) line++;
        afterReturn = c === RETURN;
        if (c === NEWLINE) line++;
      }
      pos += n;
      if (pos >= offset) break;
      const next = await head.header.source.next();
      buf = next.done ? undefined : next.value;
    }
    // A boundary is never between `\r` and `\n`: a `\r` just before it ended a line.
    if (afterReturn) line++;
    return line;
  } finally {
    stream.destroy();
  }
}
