/** The record-aligned splitter behind checkpointed loads (src/runtime/checkpoint/chunker.ts). */
import { Segment, segmentsOf } from '../../../src/runtime/checkpoint/chunker';

function pieces(data: Buffer, size: number): AsyncIterator<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return (async function* () { yield* parts; })()[Symbol.asyncIterator]();
}

async function split(data: Buffer, o: { rows: number; size?: number; maxBytes?: number; start?: number; firstLine?: number }): Promise<Segment[]> {
  const out: Segment[] = [];
  const start = o.start ?? 0;
  for await (const s of segmentsOf(Buffer.alloc(0), pieces(data.subarray(start), o.size ?? 5), {
    start, firstLine: o.firstLine ?? 1, rows: o.rows, maxBytes: o.maxBytes ?? 2 ** 30,
  })) out.push(s);
  return out;
}

/** Record-end offsets and the physical line after each, computed the slow, obvious way. */
function recordEnds(text: string): { end: number; line: number }[] {
  const ends: { end: number; line: number }[] = [];
  let q = false;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') q = !q;
    const lineEnd = c === '\n' || (c === '\r' && text[i + 1] !== '\n');
    if (lineEnd) {
      line++;
      if (!q) ends.push({ end: i + 1, line });
    }
  }
  return ends;
}

const join = (segs: Segment[]) => Buffer.concat(segs.flatMap((s) => [...s.buffers])).toString('latin1');

const SAMPLE = 'a,b\n1,"x\ny"\n2,"say ""hi"""\r\n\n3,z\r4,"\r\n"\n5,w\n6,v';

test.each([1, 2, 3, 7])('%i rows per segment: whole records only, in order, every byte once, lines counted', async (rows) => {
  for (const size of [1, 2, 3, 64]) {
    const data = Buffer.from(SAMPLE, 'latin1');
    const segs = await split(data, { rows, size });
    expect(join(segs)).toBe(SAMPLE);
    const ends = recordEnds(SAMPLE);
    // Each segment but the last ends at the rows-th record end after its start.
    const expected = ends.filter((_, i) => (i + 1) % rows === 0).map((e) => e.end);
    expect(segs.slice(0, -1).map((s) => s.end)).toEqual(expected.filter((e) => e < SAMPLE.length));
    expect(segs[segs.length - 1]).toMatchObject({ last: true, end: SAMPLE.length });
    expect(segs.filter((s) => s.last)).toHaveLength(1);
    for (const [i, s] of segs.entries()) {
      expect(s.start).toBe(i === 0 ? 0 : segs[i - 1].end);
      expect(s.firstLine).toBe(i === 0 ? 1 : segs[i - 1].nextLine);
      const lineAtEnd = ends.find((e) => e.end === s.end)?.line;
      if (!s.last) expect(s.nextLine).toBe(lineAtEnd);
    }
  }
});

test('resuming at any boundary gives the same later segments as reading from the start', async () => {
  const data = Buffer.from(SAMPLE.repeat(5), 'latin1');
  const all = await split(data, { rows: 3, size: 4 });
  for (const from of all.slice(1)) {
    const resumed = await split(data, { rows: 3, size: 3, start: from.start, firstLine: from.firstLine });
    expect(resumed.map((s) => [s.start, s.end, s.firstLine, s.nextLine, s.last]))
      .toEqual(all.slice(all.indexOf(from)).map((s) => [s.start, s.end, s.firstLine, s.nextLine, s.last]));
  }
});

test('a file that ends on a record boundary has no empty last segment; no data at all has one', async () => {
  const segs = await split(Buffer.from('1\n2\n3\n4\n'), { rows: 2 });
  expect(segs.map((s) => [s.end, s.last])).toEqual([[4, false], [8, true]]);
  const none = await split(Buffer.alloc(0), { rows: 2 });
  expect(none).toEqual([expect.objectContaining({ bytes: 0, last: true, start: 0, end: 0 })]);
});

test('a newline inside quotes is never a boundary, however many rows are asked for', async () => {
  const text = 'x\n"a\nb\nc\nd"\ny\n';
  const segs = await split(Buffer.from(text), { rows: 1, size: 1 });
  expect(segs.map((s) => Buffer.concat([...s.buffers]).toString())).toEqual(['x\n', '"a\nb\nc\nd"\n', 'y\n']);
  expect(segs.map((s) => s.firstLine)).toEqual([1, 2, 6]);
});

test('maxBytes ends a segment at the next boundary, so memory stays bounded with few, long rows', async () => {
  const row = `${'z'.repeat(100)}\n`;
  const segs = await split(Buffer.from(row.repeat(50)), { rows: 1000, maxBytes: 1000, size: 64 });
  expect(segs.length).toBeGreaterThan(4);
  for (const s of segs) expect(s.bytes).toBeLessThanOrEqual(1000 + 2 * row.length);
  expect(segs.every((s) => s.bytes % row.length === 0)).toBe(true);
});

test('bare CR line ends split too, also when the CR is the last byte of a read', async () => {
  const text = '1\r2\r3\r4';
  for (const size of [1, 2, 3]) {
    const segs = await split(Buffer.from(text), { rows: 1, size });
    expect(segs.map((s) => Buffer.concat([...s.buffers]).toString())).toEqual(['1\r', '2\r', '3\r', '4']);
    expect(segs.map((s) => s.firstLine)).toEqual([1, 2, 3, 4]);
  }
});

test('rows must be a whole number of at least 1', async () => {
  await expect(split(Buffer.from('a\n'), { rows: 0 })).rejects.toThrow(/rows per chunk must be a whole number >= 1 \(got 0\)/);
});
