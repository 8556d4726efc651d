import { prng } from '../../../bench/csv-generator';
import { CsvScanner, Eol, Scan } from '../../../src/runtime/load/csv-scanner';

/**
 * The scanner skips ordinary bytes four at a time and handles the bytes it
 * acts on from a bit mask; this compares it with the rules written out byte
 * by byte, on random bytes (quotes, commas, both line breaks, NUL, bytes
 * >= 0x80, control bytes) cut into chunks of random sizes at random
 * alignments, so records span chunks (NEED_MORE, then the same record again
 * in a longer buffer) and words start anywhere in a record.
 */
interface Found {
  recordStart: number;
  recordEnd: number;
  next: number;
  fields: number[];
  quotedLineBreaks: number;
  quotedLineFeeds: number;
  quotedCarriageReturns: number;
  highBytes: boolean;
  nulByte: boolean;
  unterminatedQuote: boolean;
  mixedLineEnding: string | undefined;
}

/** PostgreSQL's CSV rules one byte at a time; `eol` is the file's line ending so far. */
function reference(b: Buffer, pos: number, end: number, atEof: boolean, state: { eol: Eol }): Found | 'NEED_MORE' {
  const fields: number[] = [];
  let fieldStart = pos;
  let quoted = 0;
  let inQuote = false;
  let lf = 0;
  let cr = 0;
  let high = false;
  let nul = false;
  let mixed: string | undefined;
  let p = pos;
  let next = -1;
  for (; p < end; p++) {
    const c = b[p];
    if (c >= 0x80) { high = true; continue; }
    if (c === 0x22) { inQuote = !inQuote; quoted = 1; continue; }
    if (inQuote) {
      if (c === 0x0a) lf++; else if (c === 0x0d) cr++; else if (c === 0) nul = true;
      continue;
    }
    if (c === 0x2c) { fields.push(fieldStart, p, quoted); fieldStart = p + 1; quoted = 0; continue; }
    if (c === 0x0a) {
      if (state.eol === Eol.UNKNOWN) state.eol = Eol.NL;
      else if (state.eol !== Eol.NL) mixed = 'unquoted newline found in data';
      next = p + 1;
      break;
    }
    if (c === 0x0d) {
      if (p + 1 === end && !atEof) return 'NEED_MORE';
      const crlf = p + 1 < end && b[p + 1] === 0x0a;
      if (state.eol === Eol.UNKNOWN) state.eol = crlf ? Eol.CRNL : Eol.CR;
      else if (state.eol === Eol.NL || (state.eol === Eol.CRNL && !crlf)) mixed = 'unquoted carriage return found in data';
      else if (state.eol === Eol.CR && crlf) mixed = 'unquoted newline found in data';
      next = crlf ? p + 2 : p + 1;
      break;
    }
    if (c === 0) nul = true;
  }
  if (next < 0) {
    if (!atEof) return 'NEED_MORE';
    next = end;
  }
  fields.push(fieldStart, p, quoted);
  return {
    recordStart: pos,
    recordEnd: p,
    next,
    fields,
    quotedLineBreaks: state.eol === Eol.CR ? cr : lf,
    quotedLineFeeds: lf,
    quotedCarriageReturns: cr,
    highBytes: high,
    nulByte: nul,
    unterminatedQuote: inQuote,
    mixedLineEnding: mixed,
  };
}

function fromScanner(s: CsvScanner): Found {
  const fields: number[] = [];
  for (let f = 0; f < s.fieldCount; f++) fields.push(s.fieldStart[f], s.fieldEnd[f], s.fieldQuoted[f]);
  return {
    recordStart: s.recordStart,
    recordEnd: s.recordEnd,
    next: s.next,
    fields,
    quotedLineBreaks: s.quotedLineBreaks,
    quotedLineFeeds: s.quotedLineFeeds,
    quotedCarriageReturns: s.quotedCarriageReturns,
    highBytes: s.highBytes,
    nulByte: s.nulByte,
    unterminatedQuote: s.unterminatedQuote,
    mixedLineEnding: s.mixedLineEnding,
  };
}

/** A copy of `bytes` starting `offset` bytes into its ArrayBuffer (so at any alignment). */
function at(offset: number, bytes: Buffer): Buffer {
  const b = Buffer.alloc(offset + bytes.length);
  bytes.copy(b, offset);
  return b.subarray(offset);
}

/** Records of `chunks` as the checked load reads them, by the scanner and by the reference. */
function scanBoth(chunks: Buffer[], brokenAfterFields?: number): { scanner: (Found | 'NEED_MORE')[]; reference: (Found | 'NEED_MORE')[] } {
  const out = { scanner: [] as (Found | 'NEED_MORE')[], reference: [] as (Found | 'NEED_MORE')[] };
  const scanner = new CsvScanner();
  if (brokenAfterFields !== undefined) scanner.brokenAfterFields = brokenAfterFields;
  const state = { eol: Eol.UNKNOWN };
  let i = 0;
  let buf = chunks[i++];
  let pos = 0;
  let atEof = i === chunks.length;
  while (pos < buf.length || !atEof) {
    if (pos >= buf.length) {
      buf = chunks[i++];
      pos = 0;
      atEof = i === chunks.length;
      continue;
    }
    const eolBefore = state.eol;
    const r = reference(buf, pos, buf.length, atEof, state);
    if (scanner.scan(buf, pos, buf.length, atEof) === Scan.NEED_MORE) {
      state.eol = eolBefore;
      out.scanner.push('NEED_MORE');
      out.reference.push(r);
      const more = chunks[i++];
      atEof = i === chunks.length;
      buf = at(more.length % 4, Buffer.concat([buf.subarray(pos), more]));
      pos = 0;
      continue;
    }
    const found = fromScanner(scanner);
    if (brokenAfterFields !== undefined && r !== 'NEED_MORE' && found.fields.length / 3 > brokenAfterFields && found.quotedLineBreaks > 0) {
      // Only its end was looked for: the reference must agree that it has too many fields across a quoted line break, and on where it ends.
      expect([r.fields.length / 3 > brokenAfterFields, r.quotedLineBreaks > 0]).toEqual([true, true]);
      const ends = ['recordStart', 'recordEnd', 'next', 'unterminatedQuote', 'mixedLineEnding'] as const;
      out.scanner.push({ ...r, ...Object.fromEntries(ends.map((k) => [k, found[k]])) });
      out.reference.push(r);
      brokenRecords++;
    } else {
      out.scanner.push(found);
      out.reference.push(r);
    }
    expect(scanner.eol).toBe(state.eol);
    pos = scanner.next;
  }
  return out;
}

let brokenRecords = 0;

const BYTES = [0x22, 0x22, 0x2c, 0x2c, 0x0a, 0x0a, 0x0d, 0x00, 0x09, 0x0c, 0x0e, 0x20, 0x21, 0x23, 0x2b, 0x2d, 0x30, 0x7f, 0x80, 0xa9, 0xc3, 0xff];

test.each([1, 2, 3, 4])('the scanner finds the records and fields the byte-by-byte rules find (seed %i)', (seed) => {
  const rand = prng(seed);
  brokenRecords = 0;
  for (let n = 0; n < 3000; n++) {
    const length = 1 + Math.floor(rand() * 300);
    // From mostly ordinary bytes (long runs skipped a word at a time) to mostly bytes the scanner acts on.
    const ordinary = rand();
    const data = Buffer.alloc(length);
    for (let k = 0; k < length; k++) data[k] = rand() < ordinary ? 0x61 + Math.floor(rand() * 26) : BYTES[Math.floor(rand() * BYTES.length)];
    const chunks: Buffer[] = [];
    for (let p = 0; p < length;) {
      const size = Math.min(length - p, 1 + Math.floor(rand() * (rand() < 0.5 ? 9 : 120)));
      chunks.push(at(Math.floor(rand() * 4), data.subarray(p, p + size)));
      p += size;
    }
    for (const limit of [undefined, 1 + Math.floor(rand() * 4)]) {
      const found = scanBoth(chunks, limit);
      if (JSON.stringify(found.scanner) !== JSON.stringify(found.reference)) {
        expect({ data: data.toString('latin1'), chunks: chunks.map((c) => c.length), limit, records: found.scanner })
          .toEqual({ data: data.toString('latin1'), chunks: chunks.map((c) => c.length), limit, records: found.reference });
      }
    }
  }
  // Records only scanned for their end were met.
  expect(brokenRecords).toBeGreaterThan(100);
});

test('a byte >= 0x80 after the record\'s line feed, in the same word, is not the record\'s', () => {
  const scanner = new CsvScanner();
  const b = at(0, Buffer.from([0x61, 0x62, 0x63, 0x64, 0x61, 0x2c, 0x0a, 0xc3, 0xa9, 0x0a]));
  expect(scanner.scan(b, 0, b.length, true)).toBe(Scan.RECORD);
  expect([scanner.recordEnd, scanner.fieldCount, scanner.highBytes]).toEqual([6, 2, false]);
  expect(scanner.scan(b, scanner.next, b.length, true)).toBe(Scan.RECORD);
  expect([scanner.recordStart, scanner.recordEnd, scanner.highBytes]).toEqual([7, 9, true]);
});

test('bytes >= 0x80 in words skipped whole, and in a word with a comma, are seen', () => {
  const scanner = new CsvScanner();
  const skipped = at(0, Buffer.from('abcdcaf\u00e9abcdabcd,x\n'));
  expect(scanner.scan(skipped, 0, skipped.length, true)).toBe(Scan.RECORD);
  expect(scanner.highBytes).toBe(true);
  const withComma = at(0, Buffer.from('abcd,\u00e9\n'));
  expect(scanner.scan(withComma, 0, withComma.length, true)).toBe(Scan.RECORD);
  expect([scanner.highBytes, scanner.fieldCount]).toEqual([true, 2]);
});
