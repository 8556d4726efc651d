import { pipeline } from 'stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { BlankLineFilter, QuoteStateAt } from './blank-lines';

/**
 * Thrown when the data contains a line that is exactly `\.`: PostgreSQL 15 and
 * older take it for the end-of-data marker and silently drop every later row,
 * so such files go through the checked path, which quotes the value.
 */
export class EndOfDataMarkerFound extends Error {
  constructor() {
    super('a line consisting of \\. needs quoting before COPY');
    this.name = 'EndOfDataMarkerFound';
  }
}

/**
 * Streams the file's bytes after the header straight into COPY: PostgreSQL
 * parses and converts every field in C, Node only moves buffers, so the load
 * runs at the server's COPY speed. Blank lines are dropped on the way (see
 * blank-lines.ts; `quoteStateAt` reads the file again if one may be inside
 * quotes). Returns the number of rows COPY stored.
 */
export async function copyRawBytes(
  client: PoolClient, copySql: string, rest: Buffer, source: AsyncIterator<Buffer>, quoteStateAt: QuoteStateAt,
): Promise<number> {
  const copy = client.query(copyFrom(copySql));
  const blank = new BlankLineFilter(quoteStateAt);
  const out: Buffer[] = [];
  // A record starts right after the header, so the data begins "after a newline".
  let prev = 0x0a;
  async function* bytes(): AsyncGenerator<Buffer> {
    let chunk = rest;
    for (;;) {
      if (chunk.length > 0) {
        checkForMarker(chunk, prev);
        prev = chunk[chunk.length - 1];
        await blank.push(chunk, out);
        for (const b of out) yield b;
        out.length = 0;
      }
      const next = await source.next();
      if (next.done) break;
      chunk = next.value;
    }
    await blank.end(out);
    for (const b of out) yield b;
  }
  await pipeline(bytes, copy);
  return copy.rowCount;
}

function checkForMarker(chunk: Buffer, prev: number): void {
  let i = chunk.indexOf(0x5c);
  while (i !== -1) {
    const before = i === 0 ? prev : chunk[i - 1];
    if (before === 0x0a || before === 0x0d) {
      // At a chunk edge the following byte is unknown: assume the worst, the
      // checked path is only slower, never wrong.
      if (i + 1 >= chunk.length) throw new EndOfDataMarkerFound();
      if (chunk[i + 1] === 0x2e) {
        const after = i + 2 < chunk.length ? chunk[i + 2] : -1;
        if (after === -1 || after === 0x0a || after === 0x0d) throw new EndOfDataMarkerFound();
      }
    }
    i = chunk.indexOf(0x5c, i + 1);
  }
}
