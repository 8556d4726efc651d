/** The documented counting rules, fed as streams (including one byte at a time). */
import { Readable } from 'stream';
import { InputError } from '../../src/runtime/contract/errors';
import { assertNotEmpty, countCsvRecords } from '../../src/runtime/core/count-rows';
import { scanUtf8 } from '../../src/runtime/core/utf8-validator';

const whole = (s: string | Buffer) => Readable.from([Buffer.from(s)]);
const byteByByte = (s: string | Buffer) => Readable.from([...Buffer.from(s)].map((b) => Buffer.from([b])));
const count = async (s: string | Buffer) => (await countCsvRecords(whole(s))).rows;
const failure = async (s: string | Buffer): Promise<InputError> => {
  try {
    await countCsvRecords(whole(s));
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
};

test.each([
  ['plain LF', 'a,b\n1,2\n3,4\n', 2],
  ['no final newline', 'a,b\n1,2\n3,4', 2],
  ['CRLF', 'a,b\r\n1,2\r\n3,4\r\n', 2],
  ['quoted newline is one record', 'a,b\n1,"x\ny"\n2,"p\r\nq"\n', 2],
  ['escaped quotes', 'a\n"say ""hi"""\n', 1],
  ['BOM stripped (header still parses)', '\ufeffa,b\n1,2\n', 1],
  ['header only', 'a,b\n', 0],
  ['header only without newline', 'a,b', 0],
  ['blank lines are not records', 'a,b\n\n1,2\n\n\n3,4\n\n', 2],
  ['multi-byte UTF-8', 'name\nDonnées\n日本語\n😀\n', 3],
])('%s', async (_name, csv, rows) => {
  expect(await count(csv)).toBe(rows);
  expect((await countCsvRecords(byteByByte(csv))).rows).toBe(rows);
});

test('the header is returned', async () => {
  expect((await countCsvRecords(whole('\ufeffid,"na,me"\n1,2\n'))).header).toEqual(['id', 'na,me']);
});

test('0 bytes is an error before parsing', () => {
  expect(() => assertNotEmpty(0)).toThrow(/empty \(0 bytes\)/);
  expect(assertNotEmpty(1)).toBeUndefined();
});

test('only blank lines: no header', async () => {
  expect((await failure('\n\n\n')).message).toMatch(/no header line/);
  expect((await failure('\r\n\r\n')).message).toMatch(/no header line/);
});

test('a ragged row names its line', async () => {
  const err = await failure('a,b\n1,2\n3\n');
  expect(err.line).toBe(3);
  expect(err.message).toMatch(/^Malformed CSV on line 3: Invalid Record Length: expect 2, got 1/);
  expect((await failure('a,b\n1,2,3\n')).line).toBe(2);
});

test('an unclosed quote names the line where it opens', async () => {
  const err = await failure('a,b\n1,2\n3,"oops\n4,5\n6,7\n');
  expect(err.line).toBe(3);
  expect(err.message).toBe('Malformed CSV: a quoted field starting on line 3 is never closed');
});

test('garbage after a closing quote names the line', async () => {
  const err = await failure('a,b\n1,"2"x\n');
  expect(err.line).toBe(2);
  expect(err.message).toMatch(/^Malformed CSV on line 2: Invalid Closing Quote/);
});

test('invalid UTF-8 names the line, even split across chunks', async () => {
  const bad = Buffer.concat([Buffer.from('a\nb\n"x\ny"\n'), Buffer.from([0x63, 0xe9, 0x0a])]);
  expect((await failure(bad)).message).toBe('File is not valid UTF-8: invalid byte 0xE9 on line 5; save the file as UTF-8');
  await expect(countCsvRecords(byteByByte(bad))).rejects.toMatchObject({ line: 5 });
  // Truncated multi-byte sequence at the very end.
  await expect(countCsvRecords(whole(Buffer.concat([Buffer.from('a\n'), Buffer.from([0xe6, 0x97])])))).rejects.toMatchObject({ line: 2 });
});

test('UTF-16 files are recognised', async () => {
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]);
  expect((await failure(utf16)).message).toMatch(/UTF-16/);
});

test('scanUtf8 rejects overlongs and surrogates, flags truncation', () => {
  expect(scanUtf8(Buffer.from([0xc0, 0xaf]))).toEqual({ validUpTo: 0, truncated: false });
  expect(scanUtf8(Buffer.from([0x41, 0xed, 0xa0, 0x80]))).toEqual({ validUpTo: 1, truncated: false });
  expect(scanUtf8(Buffer.from([0x41, 0xf0, 0x9f]))).toEqual({ validUpTo: 1, truncated: true });
  expect(scanUtf8(Buffer.from('ok é 😀'))).toEqual({ validUpTo: Buffer.byteLength('ok é 😀'), truncated: false });
});

test('a failing input stream is not reported as bad input', async () => {
  const broken = new Readable({ read() { this.destroy(new Error('connection reset')); } });
  await expect(countCsvRecords(broken)).rejects.toThrow('connection reset');
  await expect(countCsvRecords(new Readable({ read() { this.destroy(new Error('x')); } }))).rejects.not.toBeInstanceOf(InputError);
});
