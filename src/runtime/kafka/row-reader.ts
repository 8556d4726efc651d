/**
 * CSV records to Kafka messages, in file order: the header names the JSON
 * fields, each record becomes `{"<name>": value, ...}` (an unquoted empty
 * field is null, as COPY reads it; every other value is a string), keyed by
 * a column's value or by `bucket/key@version:line`, with the row's place in
 * headers (`bucket`, `key`, `version`, `line`): a stable row id consumers
 * can deduplicate on.
 *
 * Records are split by the loader's PostgreSQL-compatible scanner
 * (../load/csv-scanner.ts), so a file splits into the same records, and its
 * lines are numbered the same way, whichever sink reads it. A record the
 * scanner cannot make a row of (wrong field count, a quote never closed,
 * mixed line endings, invalid UTF-8) is an `InputError` naming its line.
 */
import { isUtf8 } from 'buffer';
import type { OutgoingMessage } from './client';
import { InputError } from '../contract/errors';
import { isBlankLine } from '../load/checked-copy';
import { rowInputError } from '../load/copy-errors';
import { CsvScanner, Scan, unquote } from '../load/csv-scanner';
import { ParsedHeader, readHeader } from '../load/header';

/** A row as a message, with the physical line it starts on. */
export interface RowMessage extends OutgoingMessage {
  readonly line: number;
  /** Bytes of key and value: what the row costs in a request. */
  readonly bytes: number;
}

/** How rows become messages. */
export interface RowReaderOptions {
  /** Key column (must be in the header), else `bucket/key@version:line`. */
  readonly keyColumn?: string;
  /** `bucket/key@version`. */
  readonly fileVersion: string;
  /** The row-id headers, or none. */
  readonly headers?: { readonly bucket: string; readonly key: string; readonly version: string };
  /** Physical line of the first record after the header (a chunk of a longer file); default the line after the header. */
  readonly firstLine?: number;
}

/** A record this long is a broken file (a quote never closed), not data. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Reads a CSV stream's records as messages, in file order, a unit at a time (see the file's comment). */
export class RowReader {
  /** Reads the header; the stream's records follow with `read()`. */
  static async open(stream: AsyncIterable<Buffer | string>, options: RowReaderOptions): Promise<RowReader> {
    return new RowReader(await readHeader(stream), options);
  }

  /** Physical line the next record starts on; after the last one, the line after the data. */
  line: number;
  private readonly scanner = new CsvScanner();
  private buf: Buffer;
  private pos = 0;
  private eof = false;
  private readonly fieldPrefix: string[];
  private readonly keyField: number;

  private constructor(private readonly header: ParsedHeader, private readonly o: RowReaderOptions) {
    this.buf = header.rest;
    this.line = o.firstLine ?? header.lines + 1;
    const seen = new Set<string>();
    for (const name of header.names) {
      if (seen.has(name)) throw new InputError(`line ${header.line}: column "${name}" appears more than once in the header`, header.line, name);
      seen.add(name);
    }
    this.fieldPrefix = header.names.map((n, i) => `${i === 0 ? '{' : ','}${JSON.stringify(n)}:`);
    this.keyField = o.keyColumn === undefined ? -1 : header.names.indexOf(o.keyColumn);
    if (o.keyColumn !== undefined && this.keyField < 0) {
      throw new InputError(
        `line ${header.line}: the Kafka key column "${o.keyColumn}" is not in the header (found: ${header.names.map((n) => `"${n}"`).join(', ')})`,
        header.line, o.keyColumn);
    }
  }

  /**
   * Up to `max` rows, in file order; fewer only at the end of the data (then
   * `done`). `nextLine` is the line after them (after the data, when done).
   */
  async read(max: number): Promise<{ rows: RowMessage[]; done: boolean; nextLine: number }> {
    const rows: RowMessage[] = [];
    const s = this.scanner;
    while (rows.length < max) {
      if (this.pos >= this.buf.length) {
        if (this.eof) return { rows, done: true, nextLine: this.line };
        const next = await this.header.source.next();
        if (next.done) {
          this.eof = true;
        } else {
          this.buf = next.value;
          this.pos = 0;
        }
        continue;
      }
      if (s.scan(this.buf, this.pos, this.buf.length, this.eof) === Scan.NEED_MORE) {
        await this.readMore();
        continue;
      }
      const line = this.line;
      this.pos = s.next;
      if (isBlankLine(s)) {
        this.line++;
        continue;
      }
      this.line += 1 + s.quotedLineBreaks;
      rows.push(this.message(line));
    }
    return { rows, done: false, nextLine: this.line };
  }

  /** Reads at least as much again as the partial record, so a long record costs linear time. */
  private async readMore(): Promise<void> {
    const pending = this.buf.length - this.pos;
    if (pending > MAX_RECORD_BYTES) throw rowInputError(this.line, undefined, `a row is longer than ${MAX_RECORD_BYTES} bytes (is a quote never closed?)`);
    const parts = [this.buf.subarray(this.pos)];
    let added = 0;
    while (added < Math.max(pending, 64 * 1024)) {
      const next = await this.header.source.next();
      if (next.done) { this.eof = true; break; }
      parts.push(next.value);
      added += next.value.length;
    }
    this.buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    this.pos = 0;
  }

  private message(line: number): RowMessage {
    const s = this.scanner;
    const b = this.buf;
    const n = this.fieldPrefix.length;
    if (s.unterminatedQuote) throw rowInputError(line, undefined, 'unterminated CSV quoted field');
    if (s.mixedLineEnding) throw rowInputError(line, undefined, s.mixedLineEnding);
    if (s.fieldCount !== n) {
      throw rowInputError(line, undefined, s.fieldCount > n
        ? `extra data after last expected column (${s.fieldCount} fields, the header has ${n})`
        : `missing data for column "${this.header.names[s.fieldCount]}" (${s.fieldCount} fields, the header has ${n})`);
    }
    if (s.nulByte || (s.highBytes && !isUtf8(b.subarray(s.recordStart, s.recordEnd)))) {
      throw rowInputError(line, this.badEncodingColumn(), 'invalid byte sequence for encoding "UTF8"');
    }
    let value = '';
    let key: string | null = null;
    for (let f = 0; f < n; f++) {
      const start = s.fieldStart[f];
      const end = s.fieldEnd[f];
      let field: string | null;
      if (s.fieldQuoted[f] === 1) field = unquote(b, start, end).toString('utf8');
      else field = start === end ? null : b.toString('utf8', start, end);
      value += this.fieldPrefix[f] + (field === null ? 'null' : JSON.stringify(field));
      if (f === this.keyField) key = field;
    }
    value += n === 0 ? '{}' : '}';
    if (this.keyField < 0) key = `${this.o.fileVersion}:${line}`;
    const h = this.o.headers;
    return {
      line,
      key,
      value,
      bytes: value.length + (key?.length ?? 0),
      ...(h ? { headers: { bucket: h.bucket, key: h.key, version: h.version, line: String(line) } } : {}),
    };
  }

  private badEncodingColumn(): string | undefined {
    const s = this.scanner;
    for (let f = 0; f < s.fieldCount; f++) {
      const field = this.buf.subarray(s.fieldStart[f], s.fieldEnd[f]);
      if (field.includes(0) || !isUtf8(field)) return this.header.names[f];
    }
    return undefined;
  }
}
