/**
 * Rejected rows as CSV (`line,reason,raw`). The report is returned as a
 * string (the sink contract), so it is capped to keep memory flat whatever
 * the file size: after MAX_REPORT_BYTES only the count grows, and a last line
 * says how many rejected rows are not listed. Raw rows are cut to
 * MAX_RAW_CHARS characters. Lines are kept as UTF-8 bytes in one buffer:
 * tens of thousands of small JS strings would cost several times the cap.
 */
const MAX_REPORT_BYTES = 4 * 1024 * 1024;
const MAX_RAW_CHARS = 1000;

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export class RejectReport {
  private data = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  /** File line and end offset in `data` of each listed reject. */
  private readonly lines: number[] = [];
  private readonly ends: number[] = [];
  private sorted = true;
  private unlisted = 0;
  count = 0;

  add(line: number, reason: string, raw: Buffer): void {
    this.count++;
    if (this.used >= MAX_REPORT_BYTES) {
      this.unlisted++;
      return;
    }
    // Invalid UTF-8 shows as replacement characters; the line number points at the original bytes.
    let text = raw.toString('utf8', 0, Math.min(raw.length, MAX_RAW_CHARS * 4));
    if (text.length > MAX_RAW_CHARS) text = `${text.slice(0, MAX_RAW_CHARS)}...`;
    const csv = `${line},${csvField(reason)},${csvField(text)}\n`;
    const need = this.used + Buffer.byteLength(csv);
    if (need > this.data.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.data.length * 2));
      this.data.copy(bigger, 0, 0, this.used);
      this.data = bigger;
    }
    this.used += this.data.write(csv, this.used);
    if (this.lines.length > 0 && line < this.lines[this.lines.length - 1]) this.sorted = false;
    this.lines.push(line);
    this.ends.push(this.used);
  }

  /** The report, sorted by line, or undefined when nothing was rejected. */
  toCsv(): string | undefined {
    if (this.count === 0) return undefined;
    const head = 'line,reason,raw\n';
    const tail = this.unlisted > 0
      ? `,${csvField(`${this.unlisted} more rejected rows are not listed: the report is capped at ${MAX_REPORT_BYTES} bytes`)},\n`
      : '';
    if (this.sorted) return head + this.data.toString('utf8', 0, this.used) + tail;
    // Rows PostgreSQL refused are reported after the batch they were in: put them in place.
    const order = this.lines.map((_, i) => i).sort((a, b) => this.lines[a] - this.lines[b] || a - b);
    const out = Buffer.allocUnsafe(this.used);
    let n = 0;
    for (const i of order) n += this.data.copy(out, n, i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
    return head + out.toString('utf8') + tail;
  }
}
