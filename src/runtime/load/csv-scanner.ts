/* eslint-disable no-bitwise -- ordinary bytes are skipped four at a time on the hot path. */
/**
 * Splits CSV bytes into records and fields the way PostgreSQL's COPY (FORMAT
 * csv) does, so a record the loader forwards is exactly one row to COPY:
 * a double quote toggles quoting wherever it appears, `""` inside quotes is a
 * literal quote, the first line break fixes the file's line ending, and an
 * unquoted empty field is NULL.
 */

export const enum Eol { UNKNOWN, NL, CR, CRNL }

/** Result of `CsvScanner.scan`. */
export const enum Scan {
  /** A record is described by the scanner's fields; continue at `next`. */
  RECORD,
  /** The buffer ends inside a record: call again with more bytes appended. */
  NEED_MORE,
}

const ORDINARY = 0;
const SPECIAL = 1;
const HIGH = 2;
/** Bytes the scanner acts on: quote, comma, line feed, carriage return, NUL; and bytes >= 0x80 (UTF-8 to validate). */
const BYTE_CLASS = new Uint8Array(256);
for (const c of [0x22, 0x2c, 0x0a, 0x0d, 0x00]) BYTE_CLASS[c] = SPECIAL;
BYTE_CLASS.fill(HIGH, 0x80);

/** The word skipping below reads a word's bytes lowest address first in its low bits. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Bit 7 of each byte of `x` set where that byte is one the scanner acts on
 * and below 0x80: `"`, `,`, or below 0x0e (NUL, line feed, carriage return
 * and a few others that are then looked at one by one). Exact per byte:
 * with bit 7 of every byte cleared first, no addition carries into the next
 * byte. Bytes >= 0x80 are not in it (see the caller).
 */
function actsOnMask(x: number): number {
  const t = x & 0x7f7f7f7f;
  // Bit 7 of a byte set where the byte is not a quote / not a comma / at least 0x0e.
  const notQuote = (t ^ 0x22222222) + 0x7f7f7f7f;
  const notComma = (t ^ 0x2c2c2c2c) + 0x7f7f7f7f;
  const notLow = t + 0x72727272;
  return ~(x | (notQuote & notComma & notLow)) & 0x80808080;
}

/** Bit 7 of each byte of `x` set where that byte is a quote, a line feed or a carriage return (exact per byte, as actsOnMask). */
function quoteOrBreakMask(x: number): number {
  const t = x & 0x7f7f7f7f;
  const notQuote = (t ^ 0x22222222) + 0x7f7f7f7f;
  const notNl = (t ^ 0x0a0a0a0a) + 0x7f7f7f7f;
  const notCr = (t ^ 0x0d0d0d0d) + 0x7f7f7f7f;
  return ~(x | (notQuote & notNl & notCr)) & 0x80808080;
}

export class CsvScanner {
  /** Start offset of each field of the last record. */
  fieldStart: Int32Array = new Int32Array(64);
  /** End offset (exclusive) of each field of the last record. */
  fieldEnd: Int32Array = new Int32Array(64);
  /** Whether each field contains a quote (so it is never NULL and may need unescaping). */
  fieldQuoted: Uint8Array = new Uint8Array(64);
  fieldCount = 0;
  recordStart = 0;
  /** End of the record's content, before its line terminator. */
  recordEnd = 0;
  /** Where the next record starts. */
  next = 0;
  /** Line breaks inside quoted fields, counted as the file counts lines. */
  quotedLineBreaks = 0;
  /** Line feeds and carriage returns inside quoted fields: COPY counts one or the other (see copyLinesOf). */
  quotedLineFeeds = 0;
  quotedCarriageReturns = 0;
  /** Any byte >= 0x80 (needs UTF-8 validation) or NUL in the record. */
  highBytes = false;
  nulByte = false;
  /** The record ended inside a quoted field at end of input. */
  unterminatedQuote = false;
  /** The record ended with a line break of another style than the file's first one. */
  mixedLineEnding: string | undefined;
  eol = Eol.UNKNOWN;
  /**
   * A record with more fields than this and a quoted line break (of the
   * file's known line ending) is only scanned for its end: its fields and
   * flags after that point are not looked at (`fieldCount` is then more
   * than this, but not the record's). A checked load rejects such a record
   * by its first line whatever else is in it, so it needs only where it ends.
   */
  brokenAfterFields = 0x7fffffff;

  /** `wordsOf` seen four bytes at a time, from its byte `wordsAt` on (the first one aligned for an Int32Array). */
  private wordsOf: Buffer | undefined;
  private words: Int32Array = new Int32Array(0);
  private wordsAt = 0;

  // Where an unfinished record stopped (see pause()).
  private paused = false;
  private pausedStart = 0;
  private pausedAt = 0;
  private pausedFields = 0;
  private pausedInQuote = false;
  private pausedLf = 0;
  private pausedCr = 0;
  private pausedHigh = false;
  private pausedNul = false;

  /**
   * Finds the record starting at `pos` in `b[..end)`. With `atEof` a record
   * may end at `end` without a line terminator. `pos < end` is required.
   * After NEED_MORE the next call must pass the same record again.
   */
  scan(b: Buffer, pos: number, end: number, atEof: boolean): Scan {
    let nf = 0;
    let inQuote = false;
    let lf = 0;
    let cr = 0;
    let high = false;
    let nul = false;
    let fieldStart = this.fieldStart;
    let fieldEnd = this.fieldEnd;
    let fieldQuoted = this.fieldQuoted;
    let p = pos;
    if (this.paused) {
      // Resume the record NEED_MORE left unfinished, now at `pos` in a longer buffer.
      const shift = pos - this.pausedStart;
      nf = this.pausedFields;
      inQuote = this.pausedInQuote;
      lf = this.pausedLf;
      cr = this.pausedCr;
      high = this.pausedHigh;
      nul = this.pausedNul;
      for (let f = 0; f < nf; f++) { fieldStart[f] += shift; fieldEnd[f] += shift; }
      fieldStart[nf] += shift;
      p = this.pausedAt + shift;
      this.paused = false;
    } else {
      fieldStart[0] = pos;
      fieldQuoted[0] = 0;
    }
    this.mixedLineEnding = undefined;
    if (b !== this.wordsOf) this.viewWords(b);
    if (nf >= this.brokenAfterFields && this.isBroken(lf, cr)) return this.scanToEnd(b, pos, p, end, atEof, nf, inQuote, lf, cr, high, nul);
    const words = this.words;
    const wordsAt = this.wordsAt;
    // Past it a word would reach beyond `end` (or beyond the last whole word).
    const lastWord = Math.min(end, wordsAt + words.length * 4) - 4;
    // The bytes to act on in the word at `wp` not handled yet, as in actsOnMask
    // (plus its bytes >= 0x80), lowest address first.
    let pending = 0;
    let wp = 0;
    // Every word skipped whole, OR-ed: whether one had a byte >= 0x80.
    let skipped = 0;
    let ended = false;
    for (;;) {
      let at: number;
      if (pending !== 0) {
        at = wp + ((31 - Math.clz32(pending & -pending)) >>> 3);
        pending &= pending - 1;
      } else {
        // The next byte to act on from `p`: aligned words four bytes at a
        // time, the bytes before the first and after the last one by one.
        at = -1;
        while (p < end) {
          if (p > lastWord || ((p - wordsAt) & 3) !== 0) {
            if (BYTE_CLASS[b[p]] !== ORDINARY) {
              at = p++;
              break;
            }
            p++;
            continue;
          }
          // Words without a byte to act on (so without a line break: wholly in the record), two at a time, then one.
          let i = (p - wordsAt) >> 2;
          const lastI = (lastWord - wordsAt) >> 2;
          let x = 0;
          let m = 0;
          while (i < lastI) {
            const x0 = words[i];
            const x1 = words[i + 1];
            if ((actsOnMask(x0) | actsOnMask(x1)) !== 0) break;
            skipped |= x0 | x1;
            i += 2;
          }
          while (i <= lastI) {
            x = words[i];
            m = actsOnMask(x);
            if (m !== 0) break;
            skipped |= x;
            i++;
          }
          p = wordsAt + (i << 2);
          if (m === 0) continue;
          // Bytes >= 0x80 are handled one by one here: only those before the record's end count.
          wp = p;
          p += 4;
          pending = m | (x & 0x80808080);
          at = wp + ((31 - Math.clz32(pending & -pending)) >>> 3);
          pending &= pending - 1;
          break;
        }
        if (at < 0) break;
      }
      const c = b[at];
      if (c >= 0x80) {
        high = true;
      } else if (c === 0x22) {
        inQuote = !inQuote;
        fieldQuoted[nf] = 1;
      } else if (inQuote) {
        if (c === 0x0a) lf++;
        else if (c === 0x0d) cr++;
        else if (c === 0) nul = true;
        if (nf >= this.brokenAfterFields && (c === 0x0a || c === 0x0d) && this.isBroken(lf, cr)) {
          if ((skipped & 0x80808080) !== 0) high = true;
          return this.scanToEnd(b, pos, at + 1, end, atEof, nf, inQuote, lf, cr, high, nul);
        }
      } else if (c === 0x2c) {
        fieldEnd[nf] = at;
        nf++;
        if (nf === fieldStart.length) {
          fieldStart = this.grow(nf);
          fieldEnd = this.fieldEnd;
          fieldQuoted = this.fieldQuoted;
        }
        fieldStart[nf] = at + 1;
        fieldQuoted[nf] = 0;
        if (nf >= this.brokenAfterFields && this.isBroken(lf, cr)) {
          if ((skipped & 0x80808080) !== 0) high = true;
          return this.scanToEnd(b, pos, at + 1, end, atEof, nf, inQuote, lf, cr, high, nul);
        }
      } else if (c === 0x0a) {
        if (this.eol === Eol.UNKNOWN) this.eol = Eol.NL;
        else if (this.eol !== Eol.NL) this.mixedLineEnding = 'unquoted newline found in data';
        this.next = at + 1;
        p = at;
        ended = true;
        break;
      } else if (c === 0x0d) {
        if (at + 1 === end && !atEof) {
          if ((skipped & 0x80808080) !== 0) high = true;
          this.pause(pos, at, nf, inQuote, lf, cr, high, nul);
          return Scan.NEED_MORE;
        }
        const crlf = at + 1 < end && b[at + 1] === 0x0a;
        if (this.eol === Eol.UNKNOWN) this.eol = crlf ? Eol.CRNL : Eol.CR;
        else if (this.eol === Eol.NL || (this.eol === Eol.CRNL && !crlf)) this.mixedLineEnding = 'unquoted carriage return found in data';
        else if (this.eol === Eol.CR && crlf) this.mixedLineEnding = 'unquoted newline found in data';
        this.next = crlf ? at + 2 : at + 1;
        p = at;
        ended = true;
        break;
      } else if (c === 0) {
        nul = true;
      }
    }
    if ((skipped & 0x80808080) !== 0) high = true;
    if (!ended) {
      p = end;
      if (!atEof) {
        this.pause(pos, p, nf, inQuote, lf, cr, high, nul);
        return Scan.NEED_MORE;
      }
      this.next = end;
    }
    this.found(pos, p, nf, inQuote, lf, cr, high, nul);
    return Scan.RECORD;
  }

  /** Whether a record with more fields than `brokenAfterFields` so far is one it applies to: a quoted line break of the known line ending. */
  private isBroken(lf: number, cr: number): boolean {
    return this.eol !== Eol.UNKNOWN && (this.eol === Eol.CR ? cr : lf) > 0;
  }

  /**
   * The rest of a record from `p` on, looking only for its end (quotes and
   * line breaks), as `scan` would find it; see `brokenAfterFields`.
   */
  private scanToEnd(b: Buffer, pos: number, p: number, end: number, atEof: boolean,
    nf: number, inQuote: boolean, lf: number, cr: number, high: boolean, nul: boolean): Scan {
    const words = this.words;
    const wordsAt = this.wordsAt;
    const lastWord = Math.min(end, wordsAt + words.length * 4) - 4;
    let pending = 0;
    let wp = 0;
    for (;;) {
      let at = -1;
      if (pending !== 0) {
        at = wp + ((31 - Math.clz32(pending & -pending)) >>> 3);
        pending &= pending - 1;
      } else {
        while (p < end) {
          if (p > lastWord || ((p - wordsAt) & 3) !== 0) {
            const c = b[p];
            if (c === 0x22 || c === 0x0a || c === 0x0d) {
              at = p++;
              break;
            }
            p++;
            continue;
          }
          const m = quoteOrBreakMask(words[(p - wordsAt) >> 2]);
          p += 4;
          if (m === 0) continue;
          wp = p - 4;
          pending = m;
          at = wp + ((31 - Math.clz32(pending & -pending)) >>> 3);
          pending &= pending - 1;
          break;
        }
        if (at < 0) break;
      }
      const c = b[at];
      if (c === 0x22) {
        inQuote = !inQuote;
      } else if (inQuote) {
        if (c === 0x0a) lf++; else cr++;
      } else if (c === 0x0a) {
        if (this.eol !== Eol.NL) this.mixedLineEnding = 'unquoted newline found in data';
        this.next = at + 1;
        this.found(pos, at, nf, inQuote, lf, cr, high, nul);
        return Scan.RECORD;
      } else {
        if (at + 1 === end && !atEof) {
          this.pause(pos, at, nf, inQuote, lf, cr, high, nul);
          return Scan.NEED_MORE;
        }
        const crlf = at + 1 < end && b[at + 1] === 0x0a;
        if (this.eol === Eol.NL || (this.eol === Eol.CRNL && !crlf)) this.mixedLineEnding = 'unquoted carriage return found in data';
        else if (this.eol === Eol.CR && crlf) this.mixedLineEnding = 'unquoted newline found in data';
        this.next = crlf ? at + 2 : at + 1;
        this.found(pos, at, nf, inQuote, lf, cr, high, nul);
        return Scan.RECORD;
      }
    }
    if (!atEof) {
      this.pause(pos, end, nf, inQuote, lf, cr, high, nul);
      return Scan.NEED_MORE;
    }
    this.next = end;
    this.found(pos, end, nf, inQuote, lf, cr, high, nul);
    return Scan.RECORD;
  }

  /** Describes the record `b[pos..recordEnd)` whose last field is field `nf`. */
  private found(pos: number, recordEnd: number, nf: number, inQuote: boolean, lf: number, cr: number, high: boolean, nul: boolean): void {
    this.fieldEnd[nf] = recordEnd;
    this.fieldCount = nf + 1;
    this.recordStart = pos;
    this.recordEnd = recordEnd;
    this.unterminatedQuote = inQuote;
    this.quotedLineFeeds = lf;
    this.quotedCarriageReturns = cr;
    this.quotedLineBreaks = this.eol === Eol.CR ? cr : lf;
    this.highBytes = high;
    this.nulByte = nul;
  }

  /**
   * Remembers how far an unfinished record got, so the next call (which must
   * pass the same record, with more bytes after it) does not rescan it.
   */
  private pause(start: number, at: number, nf: number, inQuote: boolean, lf: number, cr: number, high: boolean, nul: boolean): void {
    this.paused = true;
    this.pausedStart = start;
    this.pausedAt = at;
    this.pausedFields = nf;
    this.pausedInQuote = inQuote;
    this.pausedLf = lf;
    this.pausedCr = cr;
    this.pausedHigh = high;
    this.pausedNul = nul;
  }

  private viewWords(b: Buffer): void {
    const lead = (4 - (b.byteOffset & 3)) & 3;
    this.wordsOf = b;
    const n = b.length > lead ? (b.length - lead) >>> 2 : 0;
    this.words = n > 0 && LITTLE_ENDIAN ? new Int32Array(b.buffer, b.byteOffset + lead, n) : new Int32Array(0);
    this.wordsAt = lead;
  }

  private grow(n: number): Int32Array {
    const start = new Int32Array(n * 2);
    start.set(this.fieldStart);
    const end = new Int32Array(n * 2);
    end.set(this.fieldEnd);
    const quoted = new Uint8Array(n * 2);
    quoted.set(this.fieldQuoted);
    this.fieldStart = start;
    this.fieldEnd = end;
    this.fieldQuoted = quoted;
    return start;
  }
}

/** The value of a quoted field: quotes removed, `""` turned into `"`. */
export function unquote(b: Buffer, s: number, e: number): Buffer {
  const out = Buffer.allocUnsafe(e - s);
  let n = 0;
  let inQuote = false;
  for (let p = s; p < e; p++) {
    const c = b[p];
    if (c === 0x22) {
      if (inQuote && p + 1 < e && b[p + 1] === 0x22) { out[n++] = 0x22; p++; } else {inQuote = !inQuote;}
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

/**
 * Lines COPY counts for a record, to trace its "line N" back to the record:
 * one, plus each quoted line break of the kind the file's line ending uses,
 * which COPY only knows after the first record, so for the first record it
 * counts quoted carriage returns.
 */
export function copyLinesOf(scanner: CsvScanner, first: boolean, eol: Eol): number {
  return 1 + (first || eol !== Eol.NL ? scanner.quotedCarriageReturns : scanner.quotedLineFeeds);
}
