import { isUtf8 } from 'buffer';
import type { PostgresTableSinkConfig } from '../../shared/sink-config';
import { InputError } from '../errors';

/** Header lines longer than this are certainly not a header; refusing them keeps memory flat. */
const MAX_HEADER_BYTES = 1024 * 1024;

export interface ParsedHeader {
  /** Trimmed header names, in file order. */
  readonly names: string[];
  /** Physical lines the header occupies (more than 1 only with quoted newlines). */
  readonly lines: number;
  /** Bytes after the header's line terminator that were already read. */
  readonly rest: Buffer;
  /** The rest of the source, positioned after `rest`. */
  readonly source: AsyncIterator<Buffer>;
}

/**
 * Reads just the header record from the stream, with the same quoting rules
 * PostgreSQL's CSV reader uses (a quote toggles quoting wherever it appears).
 */
export async function readHeader(stream: AsyncIterable<Buffer | string>): Promise<ParsedHeader> {
  const source = toBuffers(stream)[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  let scanned = 0;
  let inQuote = false;
  let lines = 1;
  for (;;) {
    for (let p = scanned; p < buf.length; p++) {
      const c = buf[p];
      if (c === 0x22) {inQuote = !inQuote;} else if (c === 0x0a && inQuote) {lines++;} else if ((c === 0x0a || c === 0x0d) && !inQuote) {
        let next = p + 1;
        if (c === 0x0d) {
          if (next === buf.length) {
            // Need one more byte to know whether this is \r\n.
            const more = await source.next();
            if (!more.done) { buf = Buffer.concat([buf, more.value]); scanned = p; p--; continue; }
          } else if (buf[next] === 0x0a) {
            next++;
          }
        }
        return { names: splitHeader(buf.subarray(0, p)), lines, rest: buf.subarray(next), source };
      }
    }
    scanned = buf.length;
    if (buf.length > MAX_HEADER_BYTES) {
      throw new InputError(`line 1: header is longer than ${MAX_HEADER_BYTES} bytes (is the file CSV?)`, 1);
    }
    const more = await source.next();
    if (more.done) {
      if (buf.length === 0 || (buf.length === 3 && isBom(buf))) {
        throw new InputError('line 1: the file is empty; a CSV header line is required', 1);
      }
      if (inQuote) throw new InputError('line 1: unterminated quoted field in the header', 1);
      return { names: splitHeader(buf), lines, rest: Buffer.alloc(0), source };
    }
    buf = buf.length === 0 ? more.value : Buffer.concat([buf, more.value]);
  }
}

async function* toBuffers(stream: AsyncIterable<Buffer | string>): AsyncIterable<Buffer> {
  for await (const chunk of stream) {
    yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  }
}

function isBom(b: Buffer): boolean {
  return b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}

function splitHeader(raw: Buffer): string[] {
  const bytes = raw.length >= 3 && isBom(raw) ? raw.subarray(3) : raw;
  if (!isUtf8(bytes) || bytes.includes(0)) {
    throw new InputError('line 1: invalid byte sequence for encoding "UTF8" in the header', 1);
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

/** Maps header names to declared columns by name, whatever their order. */
export function planColumns(config: PostgresTableSinkConfig, names: string[]): ColumnPlan {
  const byName = new Map(config.columns.map((c, i) => [c.name, i]));
  const fieldToColumn: number[] = [];
  const loadedColumns: number[] = [];
  const extras: string[] = [];
  const seen = new Set<string>();
  names.forEach((name) => {
    if (seen.has(name)) {
      throw new InputError(`line 1: column "${name}" appears more than once in the header`, 1, name);
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
      `line 1: required column${missing.length > 1 ? 's' : ''} ${list} missing from the header (found: ${names.map((n) => `"${n}"`).join(', ')})`,
      1, missing[0]);
  }
  if (extras.length > 0 && config.extraColumns === 'REJECT') {
    throw new InputError(
      `line 1: unexpected column${extras.length > 1 ? 's' : ''} ${extras.map((e) => `"${e}"`).join(', ')} in the header (extraColumns is REJECT; declared: ${config.columns.map((c) => `"${c.name}"`).join(', ')})`,
      1, extras[0]);
  }
  return { fieldCount: names.length, fieldToColumn, loadedColumns, extras };
}
