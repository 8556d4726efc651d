/**
 * Streams a CSV file and counts its data records. Rules for edge files, so a
 * bad file is never reported as a successful load of the wrong number of rows:
 *
 * - 0 bytes: failed ("file is empty") — checked by the caller from the object
 *   size, before any parsing (see `assertNotEmpty`).
 * - only blank lines: failed (no header record).
 * - header only: succeeded with 0 rows — a valid export of an empty result.
 * - a blank line (nothing between two line breaks, outside quotes) is not a
 *   record, wherever it is (before the header, between records, at the end):
 *   skipped. A line of spaces is a record (ragged unless the file has one
 *   column); in a one-column file an empty value is written `""`. The table
 *   sink applies the same rule (src/runtime/load/blank-lines.ts).
 * - a quoted field may contain newlines; it is still one record.
 * - a UTF-8 byte order mark is stripped; CRLF and LF line ends both work.
 * - a record with more or fewer fields than the header: failed, naming the line.
 * - a broken quote: failed, naming the line.
 * - bytes that are not UTF-8: failed, naming the line.
 *
 * Line numbers are physical lines of the file, the header being line 1.
 */
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { CsvError, parse } from 'csv-parse';
import { Utf8Validator } from './utf8-validator';
import { InputError } from '../contract/errors';

export interface CsvCount {
  /** Data records, header excluded. */
  readonly rows: number;
  readonly header: string[];
}

export function assertNotEmpty(sizeBytes: number): void {
  if (sizeBytes === 0) {
    throw new InputError('File is empty (0 bytes): expected a header line followed by data rows', 1);
  }
}

export async function countCsvRecords(input: Readable): Promise<CsvCount> {
  let header: string[] | undefined;
  let rows = 0;
  // Line where the last complete record ended: an unclosed quote opens after
  // it. Tracked in the parser itself, which runs ahead of the consumer.
  let lastRecordEnd = 0;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    on_record: (record: string[], context) => {
      lastRecordEnd = context.lines;
      return record;
    },
  });
  try {
    await pipeline(input, new Utf8Validator(), parser, async (records: AsyncIterable<string[]>) => {
      for await (const record of records) {
        if (header === undefined) header = record;
        else rows++;
      }
    });
  } catch (err) {
    throw toInputError(err, lastRecordEnd);
  }
  if (header === undefined) {
    throw new InputError('File has no header line (it contains only blank lines)', 1);
  }
  return { rows, header };
}

function toInputError(err: unknown, lastRecordEnd: number): unknown {
  if (!(err instanceof CsvError)) return err;
  const line = (err as CsvError & { lines?: number }).lines;
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    const opened = lastRecordEnd + 1;
    return new InputError(`Malformed CSV: a quoted field starting on line ${opened} is never closed`, opened);
  }
  if (err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    return new InputError(`Malformed CSV on line ${line}: ${err.message.replace(/ on line \d+$/, '')} (the header has a different number of fields)`, line);
  }
  return new InputError(`Malformed CSV on line ${line}: ${err.message}`, line);
}
