import { isUtf8 } from 'buffer';
import type { PostgresTableSinkConfig } from '../../shared/sink-config';
import { InputError } from '../contract/errors';

/** Header lines longer than this are certainly not a header; refusing them keeps memory flat. */
const MAX_HEADER_BYTES = 1024 * 1024;

export interface ParsedHeader {
  /** Trimmed header names, in file order. */
  readonly names: string[];
  /** Physical line of the file the header starts on: 1, unless blank lines come before it. */
  readonly line: number;
  /** Physical lines up to the end of the header: blank lines before it, and its own (more than 1 with quoted newlines). */
  readonly lines: number;
  /** Bytes after the header's line terminator that were already read. */
  readonly rest: Buffer;
  /** The rest of the source, positioned after `rest`. */
  readonly source: AsyncIterator<Buffer>;
}

/**
 * Reads just the header record from the stream, with the same quoting rules
 * PostgreSQL's CSV reader uses (a quote toggles quoting wherever it appears).
 * A UTF-8 byte order mark is skipped, and so are blank lines (nothing between
 * two line breaks) before the header, as the row count does: the header is
 * the first line that is not blank, and line numbers stay physical.
 */
export async function readHeader(stream: AsyncIterable<Buffer | string>): Promise<ParsedHeader> {
  const source = toBuffers(stream)[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  /** Where the header starts in `buf` (after a BOM and blank lines). */
  let start = -1;
  let scanned = 0;
  let inQuote = false;
  let blank = 0;
  let lines = 1;
  let eof = false;
  for (;;) {
    if (start < 0 && (buf.length >= 3 || eof)) {
      start = buf.length >= 3 && isBom(buf) ? 3 : 0;
      scanned = start;
    }
    if (start >= 0) {
      for (let p = scanned; p < buf.length; p++) {
        const c = buf[p];
        if (c === 0x22) {inQuote = !inQuote;} else if (c === 0x0a && inQuote) {lines++;} else if ((c === 0x0a || c === 0x0d) && !inQuote) {
          let next = p + 1;
          if (c === 0x0d) {
            if (next === buf.length && !eof) {
              // Need one more byte to know whether this is \r\n.
              scanned = p;
              break;
            } else if (buf[next] === 0x0a) {
              next++;
            }
          }
          if (p === start) {
            // A blank line before the header: not the header, but a line of the file.
            blank++;
            start = next;
            scanned = next;
            p = next - 1;
            continue;
          }
          return { names: splitHeader(buf.subarray(start, p), blank + 1), line: blank + 1, lines: blank + lines, rest: buf.subarray(next), source };
        }
        scanned = p + 1;
      }
    }
    if (eof) {
      if (blank === 0 && (buf.length === 0 || (buf.length === 3 && isBom(buf)))) {
        throw new InputError('line 1: the file is empty; a CSV header line is required', 1);
      }
      if (start >= buf.length) {
        throw new InputError('line 1: the file has no header line (it contains only blank lines)', 1);
      }
      if (inQuote) throw new InputError(`line ${blank + 1}: unterminated quoted field in the header`, blank + 1);
      const names = splitHeader(buf.subarray(Math.max(start, 0)), blank + 1);
      return { names, line: blank + 1, lines: blank + lines, rest: Buffer.alloc(0), source };
    }
    if (buf.length - Math.max(start, 0) > MAX_HEADER_BYTES) {
      throw new InputError(`line ${blank + 1}: header is longer than ${MAX_HEADER_BYTES} bytes (is the file CSV?)`, blank + 1);
    }
    const more = await source.next();
    if (more.done) {
      eof = true;
    } else if (start > 0 && start === buf.length) {
      // Only blank lines (or a BOM) so far: drop them.
      buf = more.value;
      scanned -= start;
      start = 0;
    } else {
      buf = buf.length === 0 ? more.value : Buffer.concat([buf, more.value]);
    }
  }
}

/** The stream's chunks as Buffers (a stream read with an encoding yields strings). */
export async function* toBuffers(stream: AsyncIterable<Buffer | string>): AsyncIterable<Buffer> {
  for await (const chunk of stream) {
    yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  }
}

function isBom(b: Buffer): boolean {
  return b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}

function splitHeader(bytes: Buffer, line: number): string[] {
  if (!isUtf8(bytes) || bytes.includes(0)) {
    throw new InputError(`line ${line}: invalid byte sequence for encoding "UTF8" in the header`, line);
  }
  const text = bytes.toString('utf8');
  const names: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      if (inQuote && text[i + 1] === '"') { cur += '"'; i++; } else {inQuote = !inQuote;}
    } else if (ch === ',' && !inQuote) {
      names.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  names.push(cur.trim());
  return names;
}

/** How the file's fields map onto the declared columns. */
export interface ColumnPlan {
  /** Number of fields the header has; every row must have as many. */
  readonly fieldCount: number;
  /** For each file field, the index of its declared column, or -1 for an extra column. */
  readonly fieldToColumn: number[];
  /** Declared column indexes in file order (the COPY column list). */
  readonly loadedColumns: number[];
  /** Names of header fields that match no declared column. */
  readonly extras: string[];
}

/** Maps header names to declared columns by name, whatever their order. `line` is the header's physical line, for messages. */
export function planColumns(config: PostgresTableSinkConfig, names: string[], line = 1): ColumnPlan {
  const byName = new Map(config.columns.map((c, i) => [c.name, i]));
  const fieldToColumn: number[] = [];
  const loadedColumns: number[] = [];
  const extras: string[] = [];
  const seen = new Set<string>();
  names.forEach((name) => {
    if (seen.has(name)) {
      throw new InputError(`line ${line}: column "${name}" appears more than once in the header`, line, name);
    }
    seen.add(name);
    const col = byName.get(name);
    if (col === undefined) {
      extras.push(name);
      fieldToColumn.push(-1);
    } else {
      fieldToColumn.push(col);
      loadedColumns.push(col);
    }
  });
  const missing = config.columns.filter((c) => !c.nullable && !seen.has(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    const list = missing.map((m) => `"${m}"`).join(', ');
    throw new InputError(
      `line ${line}: required column${missing.length > 1 ? 's' : ''} ${list} missing from the header (found: ${names.map((n) => `"${n}"`).join(', ')})`,
      line, missing[0]);
  }
  if (extras.length > 0 && config.extraColumns === 'REJECT') {
    throw new InputError(
      `line ${line}: unexpected column${extras.length > 1 ? 's' : ''} ${extras.map((e) => `"${e}"`).join(', ')} in the header (extraColumns is REJECT; declared: ${config.columns.map((c) => `"${c.name}"`).join(', ')})`,
      line, extras[0]);
  }
  return { fieldCount: names.length, fieldToColumn, loadedColumns, extras };
}
