/**
 * SKIP_AND_REPORT across parts: each part lists its rejected rows (a
 * `RejectReport`, capped like any) in its ledger record, and the part that
 * commits the file makes them one rejects file, in file order (parts are in
 * file order), capped like one report, the unlisted ones counted.
 */
import { RejectReport } from '../rejects';

const HEADER = 'line,reason,raw\n';
/** The same cap as one report's (../rejects.ts). */
const MAX_BYTES = 4 * 1024 * 1024;
const UNLISTED = /(?:^|\n),"?(\d+) more rejected rows are not listed[^\n]*\n$/;

/** A part's report as its record keeps it: the CSV lines without header or tail, and how many rows they list. */
export function partRejects(report: RejectReport): { rejectsCsv: string; listed: number } {
  const csv = report.toCsv();
  if (!csv) return { rejectsCsv: '', listed: 0 };
  let body = csv.startsWith(HEADER) ? csv.slice(HEADER.length) : csv;
  const tail = UNLISTED.exec(body);
  const unlisted = tail ? Number(tail[1]) : 0;
  if (tail) body = body.slice(0, tail.index + (tail[0].startsWith('\n') ? 1 : 0));
  return { rejectsCsv: body, listed: report.count - unlisted };
}

/** The file's rejects from its parts' (in part order); undefined when no part rejected a row. */
export function fileRejects(parts: readonly { rejectsCsv: string; listed: number; rejected: number }[]): string | undefined {
  const total = parts.reduce((sum, p) => sum + p.rejected, 0);
  if (total === 0) return undefined;
  const out: string[] = [HEADER];
  let bytes = 0;
  let listed = 0;
  for (const p of parts) {
    // As one report lists them: rows in line order while fewer than the cap's bytes are listed.
    for (const row of csvRecords(p.rejectsCsv)) {
      if (bytes >= MAX_BYTES) break;
      out.push(row);
      bytes += Buffer.byteLength(row);
      listed++;
    }
  }
  const csv = out.join('');
  return listed < total ? `${csv},${total - listed} more rejected rows are not listed: the report is capped at ${MAX_BYTES} bytes,\n` : csv;
}

/** The CSV lines of a report, each ending with its line end (a quoted field may hold line breaks). */
function* csvRecords(csv: string): Generator<string> {
  let start = 0;
  let inQuote = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (c === '"') {inQuote = !inQuote;} else if (c === '\n' && !inQuote) {
      yield csv.slice(start, i + 1);
      start = i + 1;
    }
  }
  if (start < csv.length) yield csv.slice(start);
}
