import type { Readable } from 'stream';
import { readHeader } from './header';

/**
 * Blank lines on the COPY fast path.
 *
 * A blank line (nothing between two line breaks of the file's line ending,
 * outside quotes) is not a record: the checked path skips it, and PostgreSQL's
 * COPY must never see one (it refuses it as "missing data for column" or, for
 * a one-column table, stores a NULL row). This filter drops blank lines from
 * the bytes on their way to COPY while keeping the fast path fast:
 *
 * - Until the data's line ending is known (the first unquoted line break, as
 *   COPY decides it) every byte is looked at in JavaScript: this covers blank
 *   lines right after the header. That is usually one record.
 * - Then each chunk is only searched (natively) for two line endings in a row
 *   (`\n\n`, `\r\n\r\n` or `\r\r`). A file without blank lines is passed
 *   through in its own chunks, untouched; the search adds about 10 ms of CPU
 *   per 150 MB.
 * - A file ending in blank lines (a run of line endings at end of file) is
 *   trimmed to the last record's line ending without knowing whether a quote
 *   is open: if one is, the file fails as an unterminated quoted field anyway.
 * - Two line endings in a row anywhere else may be data inside quotes
 *   (`"a\n\nb"`). The quote state there is the parity of the quotes before
 *   it, so the file's start is read again to count them; from there on every
 *   byte is looked at (about 1.3 ns per byte), which drops every later blank
 *   line without reading again.
 *
 * Line breaks of another style than the file's near a blank line, where what
 * COPY would do could differ from what the checked path does, throw
 * `BlankLinesNeedChecking` so the caller loads the file through the checked
 * path, which gives the exact verdict.
 */

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const QUOTE = 0x22;

const enum Ending { UNKNOWN, LF, CRLF, CR }

/** Two line endings in a row: where a blank line may be. */
const TWO_ENDINGS: Record<Exclude<Ending, Ending.UNKNOWN>, Buffer> = {
  [Ending.LF]: Buffer.from('\n\n'),
  [Ending.CRLF]: Buffer.from('\r\n\r\n'),
  [Ending.CR]: Buffer.from('\r\r'),
};
const ONE_ENDING: Record<Exclude<Ending, Ending.UNKNOWN>, Buffer> = {
  [Ending.LF]: Buffer.from('\n'),
  [Ending.CRLF]: Buffer.from('\r\n'),
  [Ending.CR]: Buffer.from('\r'),
};

/**
 * A run of line breaks held back at a chunk's end longer than this (a file
 * ending in thousands of blank lines) is resolved by reading the file's start
 * again and looking at every byte, so the memory held stays bounded.
 */
const MAX_HELD_BYTES = 1024 * 1024;

/** The fast path cannot tell what COPY would do with these line breaks: load through the checked path. */
export class BlankLinesNeedChecking extends Error {
  constructor() {
    super('a blank line next to line breaks of another style needs the checked path');
    this.name = 'BlankLinesNeedChecking';
  }
}

/** Whether a quoted field is open just before `dataOffset` (counted from the byte after the header). */
export type QuoteStateAt = (dataOffset: number) => Promise<boolean>;

function isBreak(c: number): boolean {
  return c === NEWLINE || c === RETURN;
}

export class BlankLineFilter {
  /** Data offset of the chunk being processed. */
  private offset = 0;
  private ending = Ending.UNKNOWN;
  /** Whether every byte is looked at (the quote state is known), or chunks are only searched. */
  private tracking = true;
  /** Once the quote state had to be recovered, every byte stays looked at. */
  private tracksToEnd = false;
  private inQuote = false;
  /** At the start of a line, outside quotes: a line ending here ends a blank line. */
  private lineStart = true;
  /** A line that was not blank has ended with the file's line ending: COPY's line ending is the same. */
  private endingConfirmed = false;
  /** The last byte seen was an unquoted `\r`; whether it started a line (then it was held back). */
  private pendingCr = false;
  private pendingCrAtLineStart = false;
  /** While only searching: trailing line breaks of the last chunk, not yet passed on. */
  private held: Buffer | undefined;
  private heldOffset = 0;

  constructor(private readonly quoteStateAt: QuoteStateAt) {}

  /** Appends to `out` the bytes of `chunk` COPY should get (possibly held back in part until the next call). */
  async push(chunk: Buffer, out: Buffer[]): Promise<void> {
    if (this.tracking) this.track(chunk, 0, out);
    else await this.search(chunk, 0, out);
    this.offset += chunk.length;
  }

  /** At end of data: appends whatever was held back and should reach COPY. */
  async end(out: Buffer[]): Promise<void> {
    if (this.tracking) {
      if (this.pendingCr) this.endCr(false);
      return;
    }
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    const ending = this.ending as Exclude<Ending, Ending.UNKNOWN>;
    if (repeats(held, ONE_ENDING[ending])) {
      // The file ends in blank lines: keep the last record's line ending only.
      out.push(held.subarray(0, ONE_ENDING[ending].length));
      return;
    }
    await this.startTracking(this.heldOffset);
    this.track(held, 0, out);
    if (this.pendingCr) this.endCr(false);
  }

  /** Looks at every byte of `b` from `from`, dropping blank lines. */
  private track(b: Buffer, from: number, out: Buffer[]): void {
    const n = b.length;
    if (from === n) return;
    let seg = from;
    let p = from;
    // Whether searching may take over in this chunk (not once it found a candidate here).
    let maySearch = !this.tracksToEnd;
    if (this.pendingCr) {
      const crlf = b[p] === NEWLINE;
      // A held-back `\r` (at a line start) is either dropped or an error; a kept one is already out.
      if (this.endCr(crlf) && crlf) seg = p + 1;
      if (crlf) p++;
    }
    for (; p < n; p++) {
      const c = b[p];
      if (c !== NEWLINE && c !== RETURN) {
        if (c === QUOTE) this.inQuote = !this.inQuote;
        this.lineStart = false;
        if (maySearch && this.endingConfirmed) {
          // COPY's line ending is known and this byte is no line break: searching is enough from
          // here, unless this chunk has a candidate left, whose quote state is known only now.
          if (this.candidateIn(b, p) < 0) {
            if (p > seg) out.push(b.subarray(seg, p));
            this.tracking = false;
            this.passOn(b, p, out);
            return;
          }
          maySearch = false;
        }
        continue;
      }
      if (this.inQuote) continue;
      if (c === NEWLINE) {
        if (this.ending === Ending.UNKNOWN) this.ending = Ending.LF;
        if (this.ending !== Ending.LF) throw new BlankLinesNeedChecking();
        if (this.lineStart) {
          if (p > seg) out.push(b.subarray(seg, p));
          seg = p + 1;
        } else {
          this.lineStart = true;
          this.endingConfirmed = true;
        }
        continue;
      }
      // c === RETURN: the next byte decides between `\r\n` and `\r`.
      this.pendingCrAtLineStart = this.lineStart;
      if (p + 1 === n) {
        this.pendingCr = true;
        if (this.lineStart) {
          // Held back: dropped if it ends a blank line (known with the next byte).
          if (p > seg) out.push(b.subarray(seg, p));
          seg = n;
        }
        break;
      }
      const crlf = b[p + 1] === NEWLINE;
      if (this.endCr(crlf)) {
        if (p > seg) out.push(b.subarray(seg, p));
        seg = crlf ? p + 2 : p + 1;
      }
      if (crlf) p++;
    }
    if (n > seg) out.push(b.subarray(seg, n));
  }

  /**
   * Classifies an unquoted `\r` (followed by `\n` or not). Returns whether it
   * (with its `\n`) ends a blank line and is to be dropped.
   */
  private endCr(crlf: boolean): boolean {
    this.pendingCr = false;
    if (this.ending === Ending.UNKNOWN) this.ending = crlf ? Ending.CRLF : Ending.CR;
    if (this.ending !== (crlf ? Ending.CRLF : Ending.CR)) throw new BlankLinesNeedChecking();
    if (this.pendingCrAtLineStart) return true;
    this.lineStart = true;
    this.endingConfirmed = true;
    return false;
  }

  /** Searches `b` from `from` for two line endings in a row, passing the bytes on untouched when there are none. */
  private async search(b: Buffer, from: number, out: Buffer[]): Promise<void> {
    const n = b.length;
    let lead = from;
    while (lead < n && isBreak(b[lead])) lead++;
    if (this.held !== undefined) {
      if (lead === n) {
        this.held = Buffer.concat([this.held, b.subarray(from)]);
        if (this.held.length > MAX_HELD_BYTES) await this.trackHeld(out);
        return;
      }
      const run = Buffer.concat([this.held, b.subarray(from, lead)]);
      if (run.includes(this.twoEndings())) {
        await this.trackHeld(out);
        this.track(b, from, out);
        return;
      }
      out.push(this.held);
      this.held = undefined;
    }
    const i = this.candidateIn(b, from);
    if (i >= 0) {
      let r = i;
      while (r > from && isBreak(b[r - 1])) r--;
      if (r > from) out.push(b.subarray(from, r));
      await this.startTracking(this.offset + r);
      this.track(b, r, out);
      return;
    }
    this.passOn(b, from, out);
  }

  /** Index of two line endings in a row in `b[from..)` before its trailing line breaks, or -1. */
  private candidateIn(b: Buffer, from: number): number {
    const i = b.indexOf(this.twoEndings(), from);
    if (i < 0) return -1;
    let t = b.length;
    while (t > from && isBreak(b[t - 1])) t--;
    return i < t ? i : -1;
  }

  /** Passes `b[from..)` on, holding back its trailing line breaks (they may begin blank lines). */
  private passOn(b: Buffer, from: number, out: Buffer[]): void {
    let t = b.length;
    while (t > from && isBreak(b[t - 1])) t--;
    if (t > from) out.push(t === b.length && from === 0 ? b : b.subarray(from, t));
    if (t < b.length) {
      this.held = b.subarray(t);
      this.heldOffset = this.offset + t;
    }
  }

  private async trackHeld(out: Buffer[]): Promise<void> {
    const held = this.held!;
    this.held = undefined;
    await this.startTracking(this.heldOffset);
    this.track(held, 0, out);
  }

  /** Recovers the quote state at `dataOffset` (just after a byte that is no line break) and looks at every byte from there. */
  private async startTracking(dataOffset: number): Promise<void> {
    this.inQuote = await this.quoteStateAt(dataOffset);
    this.tracking = true;
    this.tracksToEnd = true;
    this.lineStart = false;
  }

  private twoEndings(): Buffer {
    return TWO_ENDINGS[this.ending as Exclude<Ending, Ending.UNKNOWN>];
  }
}

function repeats(b: Buffer, unit: Buffer): boolean {
  if (b.length % unit.length !== 0) return false;
  for (let p = 0; p < b.length; p++) if (b[p] !== unit[p % unit.length]) return false;
  return true;
}

/**
 * Reads the file again from the start and says whether a quoted field is
 * open just before `dataOffset` (bytes after the header): COPY's quoting is a
 * toggle on every double quote, so that is the parity of the quotes before it.
 */
export function quoteStateFromStart(open: () => Promise<Readable>): QuoteStateAt {
  return async (dataOffset) => {
    const stream = await open();
    try {
      const header = await readHeader(stream);
      let remaining = dataOffset;
      let inQuote = false;
      let buf = header.rest;
      for (;;) {
        const n = Math.min(buf.length, remaining);
        for (let i = 0; i < n; i++) if (buf[i] === QUOTE) inQuote = !inQuote;
        remaining -= n;
        if (remaining === 0) return inQuote;
        const next = await header.source.next();
        if (next.done) throw new Error('the file is shorter when read a second time');
        buf = next.value;
      }
    } finally {
      stream.destroy();
    }
  };
}
