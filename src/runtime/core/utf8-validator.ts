/**
 * Rejects input that is not UTF-8 while it streams, naming the physical line
 * of the first bad byte. csv-parse would otherwise decode bad bytes to U+FFFD
 * and the file would load with silently corrupted text.
 */
import { isUtf8 } from 'buffer';
import { Transform, TransformCallback } from 'stream';
import { InputError } from '../contract/errors';

const NEWLINE = 0x0a;

/** Continuation bytes a lead byte needs and the range of the first one (which rules out overlongs and surrogates). */
function lead(b: number): [need: number, lo: number, hi: number] | undefined {
  if (b >= 0xc2 && b <= 0xdf) return [1, 0x80, 0xbf];
  if (b === 0xe0) return [2, 0xa0, 0xbf];
  if (b === 0xed) return [2, 0x80, 0x9f];
  if (b >= 0xe1 && b <= 0xef) return [2, 0x80, 0xbf];
  if (b === 0xf0) return [3, 0x90, 0xbf];
  if (b >= 0xf1 && b <= 0xf3) return [3, 0x80, 0xbf];
  if (b === 0xf4) return [3, 0x80, 0x8f];
  return undefined;
}

/** Index of the first byte that does not start a well-formed sequence, and whether it is only cut short by the end of `buf`. */
export function scanUtf8(buf: Buffer): { validUpTo: number; truncated: boolean } {
  let i = 0;
  while (i < buf.length) {
    if (buf[i] < 0x80) {
      i++;
      continue;
    }
    const info = lead(buf[i]);
    if (!info) return { validUpTo: i, truncated: false };
    const [need, lo, hi] = info;
    for (let k = 1; k <= need; k++) {
      if (i + k >= buf.length) return { validUpTo: i, truncated: true };
      const c = buf[i + k];
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return { validUpTo: i, truncated: false };
    }
    i += need + 1;
  }
  return { validUpTo: buf.length, truncated: false };
}

function countNewlines(buf: Buffer, end = buf.length): number {
  let n = 0;
  let at = buf.indexOf(NEWLINE);
  while (at !== -1 && at < end) { n++; at = buf.indexOf(NEWLINE, at + 1); }
  return n;
}

/** Passes bytes through unchanged; fails with an InputError at the first invalid sequence. */
export class Utf8Validator extends Transform {
  private line = 1;
  private carry: Buffer = Buffer.alloc(0);
  private first = true;

  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    if (this.first && data.length >= 2) {
      this.first = false;
      if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
        done(new InputError('File is UTF-16 encoded (byte order mark on line 1); save it as UTF-8', 1));
        return;
      }
    }
    let cut = data.length;
    if (!isUtf8(data)) {
      const scan = scanUtf8(data);
      if (!scan.truncated) {
        done(this.invalidAt(data, scan.validUpTo));
        return;
      }
      cut = scan.validUpTo;
    }
    const valid = data.subarray(0, cut);
    this.carry = Buffer.from(data.subarray(cut));
    this.line += countNewlines(valid);
    if (valid.length) this.push(valid);
    done();
  }

  _flush(done: TransformCallback): void {
    done(this.carry.length ? this.invalidAt(this.carry, 0) : undefined);
  }

  private invalidAt(data: Buffer, offset: number): InputError {
    const line = this.line + countNewlines(data, offset);
    const byte = data[offset].toString(16).toUpperCase().padStart(2, '0');
    return new InputError(`File is not valid UTF-8: invalid byte 0x${byte} on line ${line}; save the file as UTF-8`, line);
  }
}
