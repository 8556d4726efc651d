/**
 * The line ending of a run of CSV data that starts outside quotes: that of
 * its first line end outside quotes, which is how PostgreSQL's COPY picks
 * the ending it then holds every later line to.
 */
export type LineEnding = 'LF' | 'CRLF' | 'CR';

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const RETURN = 0x0d;

/** `undefined` when the data has no line end outside quotes. */
export function lineEndingOf(buffers: readonly Buffer[]): LineEnding | undefined {
  let inQuote = false;
  let afterReturn = false;
  for (const buf of buffers) {
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (afterReturn) return c === NEWLINE ? 'CRLF' : 'CR';
      if (c === QUOTE) inQuote = !inQuote;
      else if (!inQuote && c === NEWLINE) return 'LF';
      else if (!inQuote && c === RETURN) afterReturn = true;
    }
  }
  // A `\r` as the very last byte: nothing follows it.
  return afterReturn ? 'CR' : undefined;
}
