/** Public options of `Sink.report()` (the binding is ./report-sink-binding.ts). */
import type { Measure } from './measure';
import type { BadRowPolicy } from './sink';

/**
 * Options of `Sink.report()`.
 *
 * The report of each file goes into `sinks[<index>]` of its result document
 * (`results/<key>.json` in the output bucket); a scheduled run merges the
 * reports of its files into `aggregates` of `reports/<date>.json`.
 */
export interface ReportSinkOptions {
  /**
   * CSV columns the rows are grouped by, at most 5, matched exactly against
   * the trimmed header. Each distinct combination of their values is a group
   * of the report; an empty field is a value of its own (null in the report).
   *
   * @default - no grouping: one group for the whole file
   */
  readonly groupBy?: string[];

  /** What is computed for each group, at least one; e.g. `[Measure.count(), Measure.sum('amount')]`. */
  readonly measures: Measure[];

  /**
   * What happens to a row whose structure is broken or whose measured value
   * does not parse as a number: as with `Sink.postgresTable()`, fail the file
   * naming the line and column, or leave the row out of the report and write
   * it to `rejects/<key>.csv`.
   *
   * @default BadRowPolicy.FAIL_FILE
   */
  readonly badRows?: BadRowPolicy;

  /**
   * Most groups a report holds. Memory grows with the number of groups (a
   * few hundred bytes each, plus up to 4 KiB per `distinctCount` measure),
   * never with the number of rows; a file (or a run's files together) with
   * more groups fails with an error naming the line, the limit and the
   * group-by columns. From 1 to 1,000,000.
   *
   * @default 10000
   */
  readonly maxGroups?: number;
}
