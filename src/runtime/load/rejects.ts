/**
 * Rejected rows as CSV (`line,reason,raw`). The report is returned as a
 * string (the sink contract), so it is capped to keep memory flat: after
 * MAX_REPORT_BYTES only the count grows, and a last line says how many rows
 * are not listed. Raw rows are cut to MAX_RAW_CHARS characters.
 */
const MAX_REPORT_BYTES = 8 * 1024 * 1024;
const MAX_RAW_CHARS = 1000;

interface Reject { line: number; reason: string; raw: string }

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export class RejectReport {
  private readonly rows: Reject[] = [];
  private bytes = 0;
  private unlisted = 0;
  count = 0;

  add(line: number, reason: string, raw: Buffer): void {
    this.count++;
    if (this.bytes >= MAX_REPORT_BYTES) {
      this.unlisted++;
      return;
    }
    // Invalid UTF-8 is shown with replacement characters; the line number points at the original.
    let text = raw.toString('utf8', 0, Math.min(raw.length, MAX_RAW_CHARS * 4));
    if (text.length > MAX_RAW_CHARS) text = `${text.slice(0, MAX_RAW_CHARS)}...`;
    this.rows.push({ line, reason, raw: text });
    this.bytes += text.length + reason.length + 16;
  }

  /** The report, sorted by line, or undefined when nothing was rejected. */
  toCsv(): string | undefined {
    if (this.count === 0) return undefined;
    const rows = [...this.rows].sort((a, b) => a.line - b.line);
    const out = ['line,reason,raw'];
    for (const r of rows) out.push(`${r.line},${csvField(r.reason)},${csvField(r.raw)}`);
    if (this.unlisted > 0) {
      out.push(`,${csvField(`${this.unlisted} more rejected rows not listed: the report is capped at ${MAX_REPORT_BYTES} bytes`)},`);
    }
    return out.join('\n') + '\n';
  }
}
