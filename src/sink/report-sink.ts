/** Public options of `Sink.report()` (the binding is ./report-sink-binding.ts). */

/** Options of `Sink.report()`. */
export interface ReportSinkOptions {
  /**
   * CSV columns the rows are grouped by.
   *
   * @default - one group
   */
  readonly groupBy?: string[];
}
