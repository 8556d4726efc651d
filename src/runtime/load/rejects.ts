/**
 * Rejected rows as CSV (`line,reason,raw`). The report is returned as a
 * string (the sink contract), so it is capped to keep memory flat whatever
 * the file size: it lists the rejected rows in line order until
 * MAX_REPORT_BYTES, then only the count grows, and a last line says how many
 * rejected rows are not listed. Which rows are listed depends on their lines
 * only, not on the order they were found in (PostgreSQL refuses a row after
 * later rows were checked, and with several connections in any order), so
 * the report is the same however the file was loaded. Raw rows are cut to
 * MAX_RAW_CHARS characters. Lines are kept as UTF-8 bytes in one buffer:
 * tens of thousands of small JS strings would cost several times the cap.
 */
const MAX_REPORT_BYTES = 4 * 1024 * 1024;
/** Rows found out of line order are kept until this much, then the ones past the cap are dropped. */
const TRIM_AT_BYTES = MAX_REPORT_BYTES + MAX_REPORT_BYTES / 4;
const MAX_RAW_CHARS = 1000;

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export class RejectReport {
  private data = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  /** File line, start and end offset in `data` of each kept reject. */
  private lines: number[] = [];
  private starts: number[] = [];
  private ends: number[] = [];
  private sorted = true;
  private maxLine = -Infinity;
  count = 0;

  add(line: number, reason: string, raw: Buffer): void {
    this.count++;
    // Last in line order and past the cap: never listed.
    if (line >= this.maxLine && this.used >= MAX_REPORT_BYTES) return;
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
    if (line < this.maxLine) this.sorted = false;
    this.maxLine = Math.max(this.maxLine, line);
    this.lines.push(line);
    this.starts.push(this.used);
    this.used += this.data.write(csv, this.used);
    this.ends.push(this.used);
    if (this.used > TRIM_AT_BYTES) this.trim();
  }

  /** The report, sorted by line, or undefined when nothing was rejected. */
  toCsv(): string | undefined {
    if (this.count === 0) return undefined;
    const listed = this.listed();
    const unlisted = this.count - listed.length;
    const head = 'line,reason,raw\n';
    const tail = unlisted > 0
      ? `,${csvField(`${unlisted} more rejected rows are not listed: the report is capped at ${MAX_REPORT_BYTES} bytes`)},\n`
      : '';
    return head + this.gather(listed).toString('utf8') + tail;
  }

  /** Indexes of the kept rejects that are listed: in line order, each starting before the cap. */
  private listed(): number[] {
    const order = this.lines.map((_, i) => i);
    if (!this.sorted) order.sort((a, b) => this.lines[a] - this.lines[b] || a - b);
    let bytes = 0;
    let n = 0;
    while (n < order.length && bytes < MAX_REPORT_BYTES) bytes += this.ends[order[n]] - this.starts[order[n++]];
    return order.slice(0, n);
  }

  private gather(indexes: number[]): Buffer {
    if (this.sorted && indexes.length === this.lines.length) return this.data.subarray(0, this.used);
    const out = Buffer.allocUnsafe(indexes.reduce((sum, i) => sum + this.ends[i] - this.starts[i], 0));
    let n = 0;
    for (const i of indexes) n += this.data.copy(out, n, this.starts[i], this.ends[i]);
    return out;
  }

  /** Keeps only the listed rejects, in line order. */
  private trim(): void {
    const listed = this.listed();
    const sizes = listed.map((i) => this.ends[i] - this.starts[i]);
    this.data = Buffer.from(this.gather(listed));
    this.used = this.data.length;
    this.lines = listed.map((i) => this.lines[i]);
    this.starts = [];
    this.ends = [];
    let at = 0;
    for (const size of sizes) {
      this.starts.push(at);
      at += size;
      this.ends.push(at);
    }
    this.sorted = true;
    this.maxLine = this.lines.length > 0 ? this.lines[this.lines.length - 1] : -Infinity;
  }
}
