import { Readable } from 'stream';
import { isBlankLine } from './checked-copy';
import { copyLinesOf, CsvScanner, Scan } from './csv-scanner';
import { readHeader } from './header';
import { InputError } from '../contract/errors';

/**
 * File line where the record COPY calls "line N" starts. COPY counts quoted
 * line breaks only sometimes (see copyLinesOf) and reports a never-closed
 * quote at end of file, so the file is scanned again to find the record.
 */
export async function recordLineForCopyLine(
  open: () => Promise<Readable>, copyLine: number, firstLine: number | undefined,
): Promise<number | undefined> {
  const stream = await open();
  try {
    const header = await readHeader(stream);
    const scanner = new CsvScanner();
    let buf = header.rest;
    let pos = 0;
    let atEof = false;
    let line = firstLine ?? header.lines + 1;
    let copyLines = 0;
    let first = true;
    for (;;) {
      if (pos >= buf.length || scanner.scan(buf, pos, buf.length, atEof) === Scan.NEED_MORE) {
        const next = await header.source.next();
        if (next.done) {
          if (pos >= buf.length || atEof) return undefined;
          atEof = true;
        } else {
          buf = pos >= buf.length ? next.value : Buffer.concat([buf.subarray(pos), next.value]);
          pos = 0;
        }
        continue;
      }
      if (isBlankLine(scanner)) {
        // Not sent to COPY (see blank-lines.ts): a line of the file, not of COPY.
        line++;
        pos = scanner.next;
        continue;
      }
      copyLines += copyLinesOf(scanner, first, scanner.eol);
      first = false;
      if (copyLines >= copyLine || scanner.unterminatedQuote) return line;
      line += 1 + scanner.quotedLineBreaks;
      pos = scanner.next;
    }
  } catch (e) {
    if (e instanceof InputError) return undefined;
    throw e;
  } finally {
    stream.destroy();
  }
}
