import { Readable } from 'stream';
import { groupKey, GroupTable } from './group-table';
import { visitRecords } from './records';
import { RowReader } from './row-values';
import type { ReportRowSink } from './run-aggregates';
import { shapeOf } from './summary';
import { ReportSinkConfig, reportSinkConfigProblems } from '../../shared/report-sink-config';
import type { FileContext, SinkOutcome } from '../contract/sink-api';
import { rowInputError } from '../load/copy-errors';
import { readHeader } from '../load/header';
import { RejectReport } from '../load/rejects';

/**
 * `Sink.report()`: streams each file once and aggregates it per group
 * (./group-table.ts) into `SinkOutcome.summary` (./summary.ts), which the
 * processor writes into the file's result document and a scheduled run
 * merges into `reports/<date>.json`.
 *
 * Rows are read with the table sink's scanner and structural rules
 * (./records.ts); the measured values are typed (./row-values.ts). A row
 * whose structure or measured value is bad fails the file under FAIL_FILE
 * (an InputError naming line and column) and goes to the rejects CSV under
 * SKIP_AND_REPORT, exactly as with the table sink. A row counts in
 * `rowsLoaded` when it was aggregated.
 *
 * Nothing is stored outside the ledger's record: the summary travels in the
 * outcome. So `discard()` has nothing to remove and the ledger transaction
 * is never used (`_tx`). A chunked load (`file.chunk`) gives one summary per
 * chunk, and `combineSummaries` merges them into exactly the summary of one
 * pass (the group limit then applies to the chunks together). `reportShape`
 * lets a prefix run merge the files' summaries (./run-aggregates.ts).
 */
export function createReportSink(config: ReportSinkConfig): ReportRowSink {
  const problems = reportSinkConfigProblems(config);
  if (problems.length > 0) throw new Error(`report sink: ${problems.join('; ')}`);
  const shape = shapeOf(config);
  const skipBadRows = config.badRows === 'SKIP_AND_REPORT';

  async function load(_tx: unknown, file: FileContext, open: () => Promise<Readable>): Promise<SinkOutcome> {
    const stream = await open();
    try {
      const header = await readHeader(stream);
      const reader = new RowReader(shape, header.names, header.line);
      const table = new GroupTable(shape);
      const rejects = new RejectReport();
      const where = `file s3://${file.bucket}/${file.key}`;
      const bad = (line: number, column: string | undefined, reason: string, raw: Buffer): void => {
        if (!skipBadRows) throw rowInputError(line, column, reason);
        rejects.add(line, column ? `column "${column}": ${reason}` : reason, raw);
      };
      await visitRecords(header, file.chunk?.firstLine ?? header.lines + 1, {
        bad,
        record(scanner, buf, line) {
          const problem = reader.read(scanner, buf);
          if (problem) {
            bad(line, problem.column, problem.reason, buf.subarray(scanner.recordStart, scanner.recordEnd));
            return;
          }
          const values = reader.groupValues;
          table.addRow(groupKey(values), values, reader.measureValues, () => `${where} line ${line}: `, line);
        },
      });
      return { rowsLoaded: table.rows, rowsRejected: rejects.count, rejectsCsv: rejects.toCsv(), summary: table.toSummary() };
    } finally {
      stream.destroy();
    }
  }

  return {
    reportShape: shape,
    load,
    async discard(): Promise<void> {
      // Nothing to remove: the aggregates live in the outcome and result document only.
    },
    combineSummaries(parts) {
      const table = new GroupTable(shape);
      parts.forEach((part, i) => table.merge(part, `chunk summary ${i + 1} of ${parts.length}`, "the file's chunks together have "));
      return table.toSummary();
    },
  };
}
