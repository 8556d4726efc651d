/**
 * The records one part loads and the file line they start on (ranges.ts for
 * the rule). The counts of the ranges before this part's come from the
 * ledger, where each part records its own range's as its first step: the
 * parts start together and count ranges of the same size, so this part
 * waits for them about as long as counting its own took, and counts the
 * ones still missing itself (a part not started yet, or killed).
 */
import type { ClientBase } from 'pg';
import { readRangeStats, saveRangeStats } from './part-records';
import { PartSpec } from './part-spec';
import { boundaryAtOrAfter, nominalStart, OpenAt, RangeStats, rangeStats } from './ranges';

export interface PartRange {
  /** First byte of the part's first record. */
  readonly from: number;
  /** Where the next part's records begin (the end of the file for the last part). */
  readonly to: number;
  /** File line at `from`. */
  readonly firstLine: number;
}

export interface FileLayout {
  readonly fileId: number;
  readonly size: number;
  /** First byte after the header. */
  readonly dataOffset: number;
  /** Physical lines up to the data (blank lines before the header, the header's own). */
  readonly headerLines: number;
}

const POLL_MS = 200;

export async function partRange(client: ClientBase, openAt: OpenAt, file: FileLayout, part: PartSpec): Promise<PartRange> {
  const { fileId, size, dataOffset } = file;
  const n = part.count;
  const start = (i: number) => nominalStart(dataOffset, size, n, i);
  const known = await readRangeStats(client, fileId, n);
  const counting = Date.now();
  const count = async (j: number): Promise<RangeStats> => {
    const stats = await rangeStats(openAt, start(j), start(j + 1));
    await saveRangeStats(client, fileId, n, j, stats);
    known.set(j, stats);
    return stats;
  };
  const own = known.get(part.index) ?? await count(part.index);
  const missing = () => Array.from({ length: part.index }, (_, j) => j).filter((j) => !known.has(j));
  const waitUntil = Date.now() + (Date.now() - counting) + 1000;
  while (missing().length > 0 && Date.now() < waitUntil) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    for (const [j, s] of await readRangeStats(client, fileId, n)) known.set(j, s);
  }
  for (const j of missing()) await count(j);

  let parity = 0;
  let lines = 0;
  for (let j = 0; j < part.index; j++) {
    parity = (parity + known.get(j)!.quoteParity) % 2;
    lines += known.get(j)!.lineEnds;
  }
  const first = part.index === 0 ? { offset: dataOffset, lineEnds: 0 } : await boundaryAtOrAfter(openAt, start(part.index), size, parity === 1);
  const inQuoteAtEnd = (parity + own.quoteParity) % 2 === 1;
  const to = part.index === n - 1 ? size : (await boundaryAtOrAfter(openAt, start(part.index + 1), size, inQuoteAtEnd)).offset;
  return { from: first.offset, to: Math.max(to, first.offset), firstLine: file.headerLines + 1 + lines + first.lineEnds };
}
