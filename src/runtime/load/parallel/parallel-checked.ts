/**
 * A checked load (SKIP_AND_REPORT, or extra columns to drop) through several
 * connections, all of it visible in one commit: the rows are checked once,
 * in file order, exactly as through one connection (../checked-copy.ts), and
 * their good rows are COPYed segment by segment through the workers
 * (./checked-lanes.ts) into the file's staging table, attached in the claim
 * transaction (./staged-load.ts). The rejects report is the one a
 * one-connection load writes: the same rows, lines, reasons and order.
 */
import type { ClientBase } from 'pg';
import { CheckedLanes } from './checked-lanes';
import type { ParallelLoad } from './parallel-copy';
import { partitionState } from './partitions';
import { DEFAULT_SEGMENT_BYTES, loadThroughStaging, ParallelLoadOptions, ParallelResult } from './staged-load';
import { checkRows } from '../checked-copy';
import { ParsedHeader, planColumns, readHeader } from '../header';
import { RejectReport } from '../rejects';

/**
 * Checks the file and loads its good rows through `parallelism` connections
 * into its staging table, attached in `claim`'s transaction (which the
 * caller commits). A file of one segment, or whose partition is in already
 * (a reload of the same version: its rows are replaced in place), is left to
 * one connection.
 */
export async function loadCheckedInParallel(
  claim: ClientBase, load: ParallelLoad, parallelism: number, options: ParallelLoadOptions = {},
): Promise<ParallelResult> {
  const { config, fileId } = load;
  const stream = await load.open();
  try {
    const header = await readHeader(stream);
    const plan = planColumns(config, header.names, header.line);
    if ((await partitionState(claim, config, fileId)) === 'attached') return 'one-connection';
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const ahead = await readAhead(header, segmentBytes);
    if (!ahead) return 'one-connection';
    const names = config.columns.map((c) => c.name);

    return await loadThroughStaging(claim, config, fileId, parallelism, options, async ({ workers, staging }) => {
      const rejects = new RejectReport();
      const lanes = new CheckedLanes(workers, load.copySql(plan, staging), config.badRows === 'SKIP_AND_REPORT', names, rejects,
        segmentBytes, () => options.onStep?.('segment-copied'));
      const rowsLoaded = await checkRows({ config, plan, header: ahead, rejects }, lanes);
      return { rowsLoaded, rowsRejected: rejects.count, rejectsCsv: rejects.toCsv() };
    });
  } finally {
    stream.destroy();
  }
}

/**
 * The header with more than `bytes` of data read after it, or undefined if
 * the file ends before (a file of one segment).
 */
async function readAhead(header: ParsedHeader, bytes: number): Promise<ParsedHeader | undefined> {
  const read: Buffer[] = [header.rest];
  let total = header.rest.length;
  while (total <= bytes) {
    const next = await header.source.next();
    if (next.done) return undefined;
    read.push(next.value);
    total += next.value.length;
  }
  return { ...header, rest: Buffer.concat(read) };
}
