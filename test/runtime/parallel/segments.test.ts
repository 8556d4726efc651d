/**
 * The parallel load's segments follow the chunker's boundary rule: every cut
 * is a position where the chunker (one record per segment) cuts too, the
 * segments put together are the data, and the line a segment starts on is
 * the chunker's.
 */
/* eslint-disable no-bitwise -- a seeded PRNG and a reference quote parity. */
import { Readable } from 'stream';
import { prng } from '../../../bench/csv-generator';
import { segmentsOf } from '../../../src/runtime/checkpoint/chunker';
import { dataSegments, lineAtOffset, quoteParity } from '../../../src/runtime/load/parallel/segments';


const PIECES = ['a', 'bc', ',', '"', '""', '\n', '\r\n', '\r', '"x\ny"', '"\r\n"', 'é', '\n\n', '12345678'];

function randomData(rand: () => number, n: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(PIECES[Math.floor(rand() * PIECES.length)]);
  return Buffer.from(parts.join(''));
}

function pieces(buf: Buffer, rand: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length;) {
    const n = 1 + Math.floor(rand() * 40);
    // Copies at odd offsets of fresh memory, so that the word-at-a-time count meets every alignment.
    const pad = Math.floor(rand() * 4);
    const copy = Buffer.alloc(n + pad);
    buf.copy(copy, pad, i, i + n);
    out.push(copy.subarray(pad, pad + Math.min(n, buf.length - i)));
    i += n;
  }
  return out;
}

async function* iterate(bufs: Buffer[]): AsyncGenerator<Buffer> {
  for (const b of bufs) yield b;
}

test('quoteParity counts the quotes of any range, at any alignment', () => {
  const rand = prng(7);
  for (let round = 0; round < 300; round++) {
    const buf = randomData(rand, 50);
    const from = Math.floor(rand() * buf.length);
    const to = from + Math.floor(rand() * (buf.length - from + 1));
    let expected = 0;
    for (let i = from; i < to; i++) if (buf[i] === 0x22) expected ^= 1;
    expect(quoteParity(buf, from, to)).toBe(expected);
  }
});

test.each([1, 2, 3, 4, 5, 6, 7, 8])('random data (seed %i): cuts only where the chunker cuts, nothing lost, lines as the chunker counts them', async (seed) => {
  const rand = prng(seed);
  const HEADER = 'h1,h2\n';
  const data = randomData(rand, 400);
  const boundaries = new Map<number, number>();
  const everyRecord = { start: HEADER.length, firstLine: 2, rows: 1, maxBytes: Number.MAX_SAFE_INTEGER };
  for await (const s of segmentsOf(Buffer.alloc(0), iterate([data]), everyRecord)) {
    boundaries.set(s.start, s.firstLine);
    boundaries.set(s.end, s.nextLine);
  }
  const maxBytes = 1 + Math.floor(rand() * 60);
  const got: Buffer[] = [];
  let expectedStart = HEADER.length;
  const segments = [];
  for await (const s of dataSegments(Buffer.alloc(0), iterate(pieces(data, rand)), HEADER.length, maxBytes)) segments.push(s);
  for (const [i, s] of segments.entries()) {
    expect(s.start).toBe(expectedStart);
    expect(boundaries.has(s.start)).toBe(true);
    expect(s.last).toBe(i === segments.length - 1);
    got.push(...s.buffers);
    expectedStart += s.bytes;
    expect(Buffer.concat(s.buffers as Buffer[]).length).toBe(s.bytes);
  }
  expect(Buffer.concat(got).equals(data)).toBe(true);
  const file = Buffer.concat([Buffer.from(HEADER), data]);
  for (const s of segments) {
    expect(await lineAtOffset(async () => Readable.from([file]), s.start)).toBe(boundaries.get(s.start));
  }
});

test('a segment never ends between \\r and \\n, even across reads, and a lone \\r at a read\'s end is a boundary', async () => {
  const parts = [Buffer.from('aaaa\r'), Buffer.from('\nbbbb\r'), Buffer.from('cccc\n')];
  const cuts = [];
  for await (const s of dataSegments(Buffer.alloc(0), iterate(parts), 0, 2)) cuts.push(Buffer.concat(s.buffers as Buffer[]).toString());
  expect(cuts).toEqual(['aaaa\r\n', 'bbbb\r', 'cccc\n']);
});
