/**
 * Where each part of a split file starts and ends, and the file line it
 * starts on, found the same way by every part (README.md).
 *
 * Part i of N owns the nominal byte range [s(i), s(i+1)) of the data (the
 * bytes after the header cut in N equal pieces) and loads the records from
 * the first record boundary at or after s(i) to the first one at or after
 * s(i+1). A record boundary is the chunker's (../../checkpoint/chunker.ts):
 * after a `\n`, or after a `\r` not followed by `\n`, outside quotes, where
 * "outside quotes" is the parity of every `"` byte since the data began.
 * Both the quote parity and the count of line ends of a range can be counted
 * without knowing where the range starts in the CSV sense, so every part
 * counts them for its own range (recorded in the ledger, see
 * part-records.ts); the parity at s(i) is the XOR of the ranges before it
 * and the file line at s(i) the sum of their line ends. From s(i) with that
 * parity the boundary is found by one forward scan, the same scan part i-1
 * does to find where it ends: neighbours cannot disagree.
 */
import { Readable } from 'stream';
import { quoteParity } from '../parallel/segments';

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const RETURN = 0x0d;

/** Opens the file at a byte offset. */
export type OpenAt = (start: number) => Promise<Readable>;

/** What a nominal range holds, whatever its CSV context. */
export interface RangeStats {
  /** Parity (0 or 1) of the `"` bytes in the range. */
  readonly quoteParity: number;
  /** `\n` bytes, and `\r` bytes not followed by `\n` (the next range's first byte counts), quoted or not. */
  readonly lineEnds: number;
}

/** Start of nominal range `i` of `parts`; range `parts` starts at `size` (the end of the file). */
export function nominalStart(dataOffset: number, size: number, parts: number, i: number): number {
  if (i >= parts) return size;
  return dataOffset + Math.floor(((size - dataOffset) * i) / parts);
}

/** The bytes [from, to) of the file. */
export async function* bytesBetween(openAt: OpenAt, from: number, to: number): AsyncGenerator<Buffer> {
  if (to <= from) return;
  const stream = await openAt(from);
  let pos = from;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      const take = Math.min(buf.length, to - pos);
      if (take > 0) yield take === buf.length ? buf : buf.subarray(0, take);
      pos += take;
      if (pos >= to) return;
    }
  } finally {
    stream.destroy();
  }
}

/** Counts the quote parity and line ends of [from, to), looking at byte `to` for a `\r` just before it. */
export async function rangeStats(openAt: OpenAt, from: number, to: number): Promise<RangeStats> {
  let parity = 0;
  let lineEnds = 0;
  let pendingReturn = false;
  let pos = from;
  for await (const buf of bytesBetween(openAt, from, to + 1)) {
    if (pendingReturn && buf[0] !== NEWLINE) lineEnds++;
    pendingReturn = false;
    const n = Math.min(buf.length, to - pos);
    if (n > 0) {
      parity = (parity + quoteParity(buf, 0, n)) % 2;
      for (let i = buf.indexOf(NEWLINE); i !== -1 && i < n; i = buf.indexOf(NEWLINE, i + 1)) lineEnds++;
      for (let i = buf.indexOf(RETURN); i !== -1 && i < n; i = buf.indexOf(RETURN, i + 1)) {
        if (i + 1 < buf.length) {
          if (buf[i + 1] !== NEWLINE) lineEnds++;
        } else {
          pendingReturn = true;
        }
      }
    }
    pos += buf.length;
  }
  // A `\r` as the file's last byte ends a line.
  if (pendingReturn) lineEnds++;
  return { quoteParity: parity, lineEnds };
}

/** A record boundary, and the line ends between where the search began and it. */
export interface Boundary {
  readonly offset: number;
  readonly lineEnds: number;
}

/**
 * The first record boundary at or after `from` (a byte of the data, so
 * `from` > the header's end), given whether a quoted field is open just
 * before `from`. The end of the file is a boundary.
 */
export async function boundaryAtOrAfter(openAt: OpenAt, from: number, size: number, inQuote: boolean): Promise<Boundary> {
  if (from >= size) return { offset: size, lineEnds: 0 };
  let q = inQuote;
  let lineEnds = 0;
  let prev = -1;
  let pos = from - 1;
  for await (const buf of bytesBetween(openAt, from - 1, size)) {
    for (let i = 0; i < buf.length; i++, pos++) {
      const c = buf[i];
      // pos is a boundary when the byte before it ended a record outside quotes (a `\"` is never a line end).
      if (pos >= from && !q && (prev === NEWLINE || (prev === RETURN && c !== NEWLINE))) {
        return { offset: pos, lineEnds: lineEnds + (prev === RETURN && pos - 1 >= from ? 1 : 0) };
      }
      if (pos >= from) {
        if (c === QUOTE) q = !q;
        else if (c === NEWLINE) lineEnds++;
        if (prev === RETURN && c !== NEWLINE && pos - 1 >= from) lineEnds++;
      }
      prev = c;
    }
  }
  return { offset: size, lineEnds: lineEnds + (prev === RETURN && size - 1 >= from ? 1 : 0) };
}
