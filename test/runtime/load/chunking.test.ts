import { Readable } from 'stream';
import { tableConfig } from './helpers';
import { prng } from '../../../bench/csv-generator';
import { Batch } from '../../../src/runtime/load/batch';
import { checkRows, CheckedRows } from '../../../src/runtime/load/checked-copy';
import { planColumns, readHeader } from '../../../src/runtime/load/header';
import { RejectReport } from '../../../src/runtime/load/rejects';

/**
 * The checks' verdicts and the bytes they hand on may not depend on where
 * the source's chunks end: records cut by a chunk's end are scanned again in
 * a small buffer with the next chunk's start, or with the whole next chunk,
 * or (long ones) in a buffer grown to twice their length. Each chunking must
 * load the same rows, with the same lines, and report the same rejects, as
 * the file in one chunk.
 */
class Collect implements CheckedRows {
  readonly rows: string[] = [];
  private readonly main = new Batch(4096, 64);
  private readonly side = new Batch(1024, 8);
  batchFor(unsure: boolean): Batch { return unsure ? this.side : this.main; }
  async full(batch: Batch): Promise<void> { this.take(batch); }
  async stream(batch: Batch): Promise<void> { batch.streamed = batch.len; }
  async end(): Promise<number> {
    this.take(this.main);
    this.take(this.side);
    return this.rows.length;
  }
  async abandon(): Promise<void> {}
  private take(batch: Batch): void {
    for (let i = 0; i < batch.count; i++) this.rows.push(`${batch.fileLines[i]}:${batch.rowBytes(i).toString('latin1')}`);
    batch.clear();
  }
}

const config = tableConfig('t', [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'at', type: 'timestamptz', nullable: true },
  { name: 'note', type: 'text', nullable: true },
], { badRows: 'SKIP_AND_REPORT' });

async function check(data: Buffer, sizes: () => number): Promise<{ rows: string[]; rejects: string | undefined }> {
  const parts: Buffer[] = [];
  for (let p = 0; p < data.length;) {
    const n = Math.max(1, sizes());
    parts.push(data.subarray(p, p + n));
    p += n;
  }
  const header = await readHeader(Readable.from(parts, { objectMode: false }));
  const plan = planColumns(config, header.names, header.line);
  const rejects = new RejectReport();
  const rows = new Collect();
  await checkRows({ config, plan, header, rejects }, rows);
  rows.rows.sort();
  return { rows: rows.rows, rejects: rejects.toCsv() };
}

function csvFile(seed: number, eol: string): Buffer {
  const rand = prng(seed);
  const lines = ['id,at,note'];
  for (let i = 1; i <= 400; i++) {
    const r = rand();
    const at = rand() < 0.1 ? '' : `2024-0${1 + (i % 9)}-1${i % 10} 10:11:12+00`;
    const note = r < 0.05 ? `"${'long '.repeat(200 + Math.floor(rand() * 600))}"` // longer than a chunk's start, or than a small chunk
      : r < 0.1 ? `"two${eol}lines, ""quoted"""`
        : r < 0.13 ? `"never closed, ${i}` // swallows the lines up to the next quote
          : r < 0.16 ? 'caf\u00e9' : `note ${i}`;
    const id = rand() < 0.03 ? 'x' : String(i);
    lines.push(`${id},${at},${note}`);
    if (rand() < 0.02) lines.push('');
  }
  return Buffer.from(lines.join(eol) + (seed % 2 ? eol : ''), 'utf8');
}

test.each([['\n', 1], ['\n', 2], ['\r\n', 3], ['\r', 4]])('the same rows, lines and rejects whatever the chunks (line ending %j, seed %i)', async (eol, seed) => {
  const data = csvFile(seed, eol);
  const expected = await check(data, () => data.length);
  expect(expected.rows.length).toBeGreaterThan(200);
  expect(expected.rejects).toBeDefined();
  const rand = prng(seed * 7);
  for (const sizes of [() => 1, () => 7, () => 1000, () => 2049, () => 2500, () => 4096, () => 65536,
    () => 1 + Math.floor(rand() * 5000), () => (rand() < 0.5 ? 1 + Math.floor(rand() * 10) : 3000 + Math.floor(rand() * 3000))]) {
    expect(await check(data, sizes)).toEqual(expected);
  }
});
