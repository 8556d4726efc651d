/**
 * Splits a CSV file's data (the header dropped) into `n` files of about
 * equal size at record boundaries, by the loader's own rule (the chunker's
 * quote parity), so `n` concurrent `psql \copy` load exactly the file's rows.
 */
import * as fs from 'fs';
import { once } from 'events';
import { segmentsOf } from '../src/runtime/checkpoint/chunker';
import { readFileHead } from '../src/runtime/checkpoint/file-head';

export async function splitCsv(file: string, n: number, prefix: string): Promise<string[]> {
  const size = fs.statSync(file).size;
  const head = await readFileHead(fs.createReadStream(file));
  const target = (size - head.dataOffset) / n;
  const paths = Array.from({ length: n }, (_, i) => `${prefix}${i}.csv`);
  let part = 0;
  let written = 0;
  let out = fs.createWriteStream(paths[0]);
  const segments = segmentsOf(head.header.rest, head.header.source, {
    start: head.dataOffset, firstLine: head.header.lines + 1, rows: Number.MAX_SAFE_INTEGER, maxBytes: 1024 * 1024,
  });
  for await (const segment of segments) {
    if (written >= target * (part + 1) && part < n - 1) {
      out.end();
      await once(out, 'finish');
      out = fs.createWriteStream(paths[++part]);
    }
    for (const b of segment.buffers) if (!out.write(b)) await once(out, 'drain');
    written += segment.bytes;
  }
  out.end();
  await once(out, 'finish');
  return paths.slice(0, part + 1);
}
