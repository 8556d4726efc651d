/**
 * The records of a CSV file after its header, split by the loader's scanner
 * (../load/csv-scanner.ts) with the table sink's structural rules: blank
 * lines are skipped (and still counted as lines), and a record with an
 * unterminated quote, a stray line ending of another style, the wrong number
 * of fields or bytes that are not UTF-8 is a bad row with the same reasons
 * the table sink gives. A quote opened and never closed on its line makes
 * only that line bad, so the lines after it are still read.
 */
import { isUtf8 } from 'buffer';
import { isBlankLine } from '../load/checked-copy';
import { rowInputError } from '../load/copy-errors';
import { CsvScanner, Scan } from '../load/csv-scanner';
import type { ParsedHeader } from '../load/header';

/** A record this long is a broken file (a quote never closed), not data. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export interface RecordVisitor {
  /** A structurally sound record: its fields are in `scanner`, offsets into `buf`. */
  record(scanner: CsvScanner, buf: Buffer, line: number): void;
  /** A record that is not: `column` is the header name of the field at fault, when one is. */
  bad(line: number, column: string | undefined, reason: string, raw: Buffer): void;
}

/**
 * Calls the visitor for each record of the data after `header`, the first
 * one on physical line `firstLine`. Returns the physical line after the last.
 */
export async function visitRecords(header: ParsedHeader, firstLine: number, visitor: RecordVisitor): Promise<number> {
  const names = header.names;
  const scanner = new CsvScanner();
  let buf = header.rest;
  let pos = 0;
  let atEof = false;
  let line = firstLine;
  for (;;) {
    if (pos >= buf.length) {
      if (atEof) return line;
      const next = await header.source.next();
      if (next.done) {atEof = true;} else { buf = next.value; pos = 0; }
      continue;
    }
    if (scanner.scan(buf, pos, buf.length, atEof) === Scan.NEED_MORE) {
      if (buf.length - pos > MAX_RECORD_BYTES) {
        throw rowInputError(line, undefined, `a row is longer than ${MAX_RECORD_BYTES} bytes (is a quote never closed?)`);
      }
      // Read at least as much again before rescanning: linear time for long records.
      const parts = [buf.subarray(pos)];
      for (let added = 0; added < Math.max(buf.length - pos, 64 * 1024);) {
        const next = await header.source.next();
        if (next.done) { atEof = true; break; }
        parts.push(next.value);
        added += next.value.length;
      }
      buf = Buffer.concat(parts);
      pos = 0;
      continue;
    }
    const rs = scanner.recordStart;
    const re = scanner.recordEnd;
    if (isBlankLine(scanner)) {
      pos = scanner.next;
      line++;
      continue;
    }
    const problem = structuralProblem(scanner, names);
    if (problem && scanner.quotedLineBreaks > 0) {
      const lineEnd = buf.subarray(rs, re).findIndex((c) => c === 0x0a || c === 0x0d);
      const cut = rs + lineEnd;
      if (quotesOpenIn(buf, rs, cut)) {
        visitor.bad(line, undefined, 'unterminated CSV quoted field (the quote opened on this line is not closed)', buf.subarray(rs, cut));
        pos = buf[cut] === 0x0d && buf[cut + 1] === 0x0a ? cut + 2 : cut + 1;
        line++;
        continue;
      }
    }
    const recordLine = line;
    pos = scanner.next;
    line += 1 + scanner.quotedLineBreaks;
    const encoding = problem ? undefined : encodingProblem(scanner, buf, names);
    if (problem || encoding) {
      visitor.bad(recordLine, encoding?.column, (problem ?? encoding!.reason), buf.subarray(rs, re));
    } else {
      visitor.record(scanner, buf, recordLine);
    }
  }
}

function structuralProblem(scanner: CsvScanner, names: readonly string[]): string | undefined {
  if (scanner.unterminatedQuote) return 'unterminated CSV quoted field';
  if (scanner.mixedLineEnding) return scanner.mixedLineEnding;
  const want = names.length;
  if (scanner.fieldCount > want) return `extra data after last expected column (${scanner.fieldCount} fields, the header has ${want})`;
  if (scanner.fieldCount < want) return `missing data for column "${names[scanner.fieldCount]}" (${scanner.fieldCount} fields, the header has ${want})`;
  return undefined;
}

function encodingProblem(scanner: CsvScanner, buf: Buffer, names: readonly string[]): { column?: string; reason: string } | undefined {
  if (!scanner.nulByte && (!scanner.highBytes || isUtf8(buf.subarray(scanner.recordStart, scanner.recordEnd)))) return undefined;
  let column: string | undefined;
  for (let f = 0; f < scanner.fieldCount && column === undefined; f++) {
    const field = buf.subarray(scanner.fieldStart[f], scanner.fieldEnd[f]);
    if (!isUtf8(field) || field.includes(0)) column = names[f];
  }
  return { column, reason: 'invalid byte sequence for encoding "UTF8"' };
}

function quotesOpenIn(b: Buffer, s: number, e: number): boolean {
  let open = false;
  for (let p = s; p < e; p++) if (b[p] === 0x22) open = !open;
  return open;
}
