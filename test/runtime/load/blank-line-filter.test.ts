/**
 * The fast path's blank-line filter against a reference: the checked path's
 * scanner, dropping the records it calls blank. Random small CSV-ish inputs,
 * cut into random chunks, so runs of line breaks and `\r\n` straddle chunk
 * edges and blank lines appear in every mode of the filter.
 */
import { BlankLineFilter, BlankLinesNeedChecking } from '../../../src/runtime/load/blank-lines';
import { isBlankLine } from '../../../src/runtime/load/checked-copy';
import { CsvScanner, Scan } from '../../../src/runtime/load/csv-scanner';

/** The data with every record the scanner calls a blank line removed. */
function reference(data: Buffer): Buffer {
  const scanner = new CsvScanner();
  const kept: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (scanner.scan(data, pos, data.length, true) !== Scan.RECORD) throw new Error('scan needs more at end of data');
    if (!isBlankLine(scanner)) kept.push(data.subarray(pos, scanner.next));
    pos = scanner.next;
  }
  return Buffer.concat(kept);
}

interface Filtered {
  bytes?: Buffer;
  needsChecking?: boolean;
  /** Data offsets the filter asked the quote state of. */
  rereads: number[];
}

async function filter(data: Buffer, cuts: number[]): Promise<Filtered> {
  const rereads: number[] = [];
  const f = new BlankLineFilter(async (offset) => {
    rereads.push(offset);
    let q = false;
    for (let i = 0; i < offset; i++) if (data[i] === 0x22) q = !q;
    return q;
  });
  const out: Buffer[] = [];
  try {
    let start = 0;
    for (const end of [...cuts, data.length]) {
      if (end > start) await f.push(data.subarray(start, end), out);
      start = Math.max(start, end);
    }
    await f.end(out);
  } catch (e) {
    if (e instanceof BlankLinesNeedChecking) return { needsChecking: true, rereads };
    throw e;
  }
  return { bytes: Buffer.concat(out), rereads };
}

/** Park-Miller: small, deterministic, and exact in floating point. */
function rng(seed: number): () => number {
  let a = (seed % 2147483646) + 1;
  return () => {
    a = (a * 48271) % 2147483647;
    return (a - 1) / 2147483646;
  };
}

const show = (b: Buffer) => JSON.stringify(b.toString('latin1'));

test.each([
  ['LF', '\n'],
  ['CRLF', '\r\n'],
  ['CR', '\r'],
])('%s: random files with blank lines, cut at random places, come out as the scanner reads them', async (_name, eol) => {
  const rand = rng(eol.length * 7 + eol.charCodeAt(0));
  const pieces = ['a', 'bc', ',', '"', '""', '"x\n\ny"', `"p${eol}${eol}q"`, eol, eol, eol, eol, ' '];
  let compared = 0;
  let reread = 0;
  let changed = 0;
  for (let n = 0; n < 3000; n++) {
    const parts: string[] = [];
    const len = 1 + Math.floor(rand() * 14);
    for (let i = 0; i < len; i++) parts.push(pieces[Math.floor(rand() * pieces.length)]);
    const data = Buffer.from(parts.join(''), 'latin1');
    const quotes = data.filter((c) => c === 0x22).length;
    const cuts: number[] = [];
    for (let c = Math.floor(rand() * 4); c > 0; c--) cuts.push(Math.floor(rand() * (data.length + 1)));
    cuts.sort((x, y) => x - y);
    const want = reference(data);
    const got = await filter(data, cuts);
    // Mixed line breaks (a lone \n in these files) may be handed to the checked path.
    if (got.needsChecking) {
      expect(data.includes('\n') && eol !== '\n').toBe(true);
      continue;
    }
    // Inside a quote that is never closed the filter may trim the end: the file fails either way.
    if (quotes % 2 === 1) continue;
    if (!got.bytes!.equals(want)) throw new Error(`input ${show(data)} cut at ${cuts}: got ${show(got.bytes!)}, want ${show(want)}`);
    compared++;
    if (got.rereads.length > 0) reread++;
    if (!want.equals(data)) changed++;
  }
  // The generator must have produced enough of each kind for the comparison to mean something.
  expect(compared).toBeGreaterThan(1000);
  expect(changed).toBeGreaterThan(300);
  expect(reread).toBeGreaterThan(100);
});

test('mixed line endings: the checked path is asked for, or any difference comes after a line COPY refuses too', async () => {
  const rand = rng(99);
  const pieces = ['a', ',', '"', '\n', '\r\n', '\r', '\n', '\r\n'];
  let same = 0;
  let afterMixed = 0;
  let checked = 0;
  for (let n = 0; n < 5000; n++) {
    const parts: string[] = [];
    const len = 1 + Math.floor(rand() * 12);
    for (let i = 0; i < len; i++) parts.push(pieces[Math.floor(rand() * pieces.length)]);
    const data = Buffer.from(parts.join(''), 'latin1');
    if (data.filter((c) => c === 0x22).length % 2 === 1) continue;
    const cuts: number[] = [];
    for (let c = Math.floor(rand() * 4); c > 0; c--) cuts.push(Math.floor(rand() * (data.length + 1)));
    cuts.sort((x, y) => x - y);
    const got = await filter(data, cuts);
    if (got.needsChecking) { checked++; continue; }
    // Where the scanner first meets a line break of another style (COPY refuses that line), in the output.
    const scanner = new CsvScanner();
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let firstMixed = -1;
    for (let pos = 0; pos < data.length; pos = scanner.next) {
      scanner.scan(data, pos, data.length, true);
      if (scanner.mixedLineEnding !== undefined && firstMixed < 0) firstMixed = keptBytes;
      if (!isBlankLine(scanner)) { kept.push(data.subarray(pos, scanner.next)); keptBytes += scanner.next - pos; }
    }
    const want = Buffer.concat(kept);
    if (got.bytes!.equals(want)) { same++; continue; }
    let d = 0;
    while (d < got.bytes!.length && d < want.length && got.bytes![d] === want[d]) d++;
    if (firstMixed < 0 || firstMixed > d) throw new Error(`input ${show(data)} cut at ${cuts}: got ${show(got.bytes!)}, want ${show(want)}`);
    afterMixed++;
  }
  expect(same).toBeGreaterThan(500);
  expect(checked).toBeGreaterThan(500);
  expect(afterMixed).toBeGreaterThan(0);
});

test('without blank lines the chunks are passed on as they are and the file is never read again', async () => {
  const data = Buffer.from('1,"a\nb",x\n2,"""q""",y\n3,z,"p\r\nq"\n'.repeat(50));
  const cuts = [0, 5, 64, 65, 300, 301, 1000];
  const got = await filter(data, cuts);
  expect(got.bytes!.equals(data)).toBe(true);
  expect(got.rereads).toEqual([]);
});

test('blank lines right after the header or at the end are dropped without reading again', async () => {
  for (const [input, output] of [
    ['\n\n1,a\n2,b\n\n\n', '1,a\n2,b\n'],
    ['\r\n\r\n1,a\r\n2,"b\r\nc"\r\n\r\n', '1,a\r\n2,"b\r\nc"\r\n'],
    ['\n1,"x\ny"\n\n', '1,"x\ny"\n'],
    ['1,a\n\n\n\n', '1,a\n'],
    ['1,a\r\r\r', '1,a\r'],
  ]) {
    const data = Buffer.from(input);
    for (let cut = 0; cut <= data.length; cut++) {
      const got = await filter(data, [cut]);
      expect(show(got.bytes!)).toBe(JSON.stringify(output));
      expect(got.rereads).toEqual([]);
    }
  }
});

test('a blank line deep in the file: the quote state is read once, then every byte is looked at', async () => {
  const rows = '1,"a\nb"\n'.repeat(100);
  const data = Buffer.from(`${rows}\n2,x\n\n3,"\n\n"\n\n`);
  const cuts = Array.from({ length: Math.floor(data.length / 16) }, (_, i) => (i + 1) * 16);
  const got = await filter(data, cuts);
  expect(show(got.bytes!)).toBe(JSON.stringify(`${rows}2,x\n3,"\n\n"\n`));
  expect(got.rereads).toHaveLength(1);
});

test('a blank line of another style next to the file\'s line ending goes to the checked path', async () => {
  // \n\r\n: the blank line fixes LF, then a record ends in CRLF (COPY would only see CRLF).
  expect(await filter(Buffer.from('\n1,a\r\n2,b\r\n'), [])).toEqual({ needsChecking: true, rereads: [] });
  // A CRLF file with a blank line ended by a lone LF.
  expect((await filter(Buffer.from('1,a\r\n\n2,b\r\n'), [])).needsChecking).toBe(true);
});
