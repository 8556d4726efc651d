/**
 * The part boundaries: every part finds, from the counts of the ranges
 * before it, the same record boundary its neighbour ends at, and the file
 * line there, on data full of quoted line breaks, doubled quotes, CRLF and
 * CR endings: the boundaries are exactly the chunker's record boundaries
 * (dataSegments cut at every record) and the lines are lineAtOffset's.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readFileHead } from '../../../src/runtime/checkpoint/file-head';
import { dataSegments, lineAtOffset } from '../../../src/runtime/load/parallel/segments';
import { boundaryAtOrAfter, nominalStart, rangeStats } from '../../../src/runtime/load/parts/ranges';

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-parts-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function csv(seed: number, rows: number, eol: string): string {
  const rand = prng(seed);
  const out = [`id,note${eol}`];
  const fields = ['a', '"b, ""c"""', `"x${eol}y"`, `"${eol}${eol}"`, '"\n"', '"\r"', '""', 'plain text', `"q""${eol}"""`];
  for (let i = 0; i < rows; i++) out.push(`${i},${fields[Math.floor(rand() * fields.length)]}${eol}`);
  return out.join('');
}

async function parts(file: string, n: number): Promise<{ from: number; to: number; firstLine: number }[]> {
  const size = fs.statSync(file).size;
  const openAt = async (start: number) => fs.createReadStream(file, { start, highWaterMark: 7 });
  const head = await readFileHead(fs.createReadStream(file));
  const stats = [];
  const at = (j: number) => nominalStart(head.dataOffset, size, n, j);
  for (let j = 0; j < n; j++) stats.push(await rangeStats(openAt, at(j), at(j + 1)));
  const result = [];
  let parity = 0;
  let lines = 0;
  for (let i = 0; i < n; i++) {
    const s = nominalStart(head.dataOffset, size, n, i);
    const first = i === 0 ? { offset: head.dataOffset, lineEnds: 0 } : await boundaryAtOrAfter(openAt, s, size, parity === 1);
    const next = (parity + stats[i].quoteParity) % 2;
    const to = i === n - 1 ? size : (await boundaryAtOrAfter(openAt, nominalStart(head.dataOffset, size, n, i + 1), size, next === 1)).offset;
    result.push({ from: first.offset, to, firstLine: head.header.lines + 1 + lines + first.lineEnds });
    parity = next;
    lines += stats[i].lineEnds;
  }
  return result;
}

async function boundaries(file: string): Promise<number[]> {
  const head = await readFileHead(fs.createReadStream(file));
  const starts: number[] = [];
  for await (const s of dataSegments(head.header.rest, head.header.source, head.dataOffset, 1)) starts.push(s.start);
  return starts;
}

test.each([
  ['LF', '\n', 1],
  ['CRLF', '\r\n', 2],
  ['CR', '\r', 3],
])('%s endings: the parts tile the data at record boundaries, and start at the file line there', async (_name, eol, seed) => {
  const file = path.join(dir, `f${seed}.csv`);
  fs.writeFileSync(file, csv(seed, 400, eol));
  const size = fs.statSync(file).size;
  const all = new Set([...(await boundaries(file)), size]);
  const open = async () => fs.createReadStream(file);
  for (const n of [2, 3, 7, 50, 997]) {
    const ps = await parts(file, n);
    expect(ps[0].from).toBe(Math.min(...all));
    expect(ps[n - 1].to).toBe(size);
    for (let i = 0; i < n; i++) {
      expect(all.has(ps[i].from)).toBe(true);
      if (i > 0) expect(ps[i].from).toBe(ps[i - 1].to);
      // The first boundary at or after the nominal start.
      const head = await readFileHead(fs.createReadStream(file));
      const s = nominalStart(head.dataOffset, size, n, i);
      expect(ps[i].from).toBe(i === 0 ? head.dataOffset : Math.min(...[...all].filter((b) => b >= s)));
      if (ps[i].from < size) expect(ps[i].firstLine).toBe(await lineAtOffset(open, ps[i].from));
    }
  }
});
