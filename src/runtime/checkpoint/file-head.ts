/**
 * The start of a file as a chunked load needs it: the header (parsed), its
 * exact bytes (each chunk is loaded as "header + records", so a sink sees a
 * small CSV file of its own) and where the data begins.
 */
import { Readable } from 'stream';
import { ParsedHeader, readHeader, toBuffers } from '../load/header';

export interface FileHead {
  readonly header: ParsedHeader;
  /** Bytes 0 up to `dataOffset`: a BOM, blank lines before the header, the header and its line end. */
  readonly headerBytes: Buffer;
  /** File offset of the first byte after the header. */
  readonly dataOffset: number;
}

export async function readFileHead(stream: Readable): Promise<FileHead> {
  const seen: Buffer[] = [];
  let total = 0;
  let capturing = true;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const buf of toBuffers(stream)) {
      total += buf.length;
      if (capturing) seen.push(buf);
      yield buf;
    }
  }
  const header = await readHeader(counted());
  capturing = false;
  const dataOffset = total - header.rest.length;
  return { header, headerBytes: Buffer.concat(seen).subarray(0, dataOffset), dataOffset };
}
