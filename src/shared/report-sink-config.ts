/**
 * JSON shape of the aggregate report sink in `PIPELINE_SINKS` (and the CLI's
 * `--config` file), written by `Sink.report()` and read by the runtime's
 * report sink (src/runtime/report/). Not part of the public jsii API.
 */

export type MeasureKind = 'count' | 'sum' | 'min' | 'max' | 'distinctCount';

export interface MeasureConfig {
  readonly kind: MeasureKind;
  /** The measured CSV column (every kind but `count`). */
  readonly column?: string;
  /** Name of the measure in the report; default e.g. `sum_amount`, `count`. */
  readonly name?: string;
}

export interface ReportSinkConfig {
  readonly kind: 'report';
  /** CSV columns the rows are grouped by (at most a few); empty: one group. */
  readonly groupBy: readonly string[];
  readonly measures: readonly MeasureConfig[];
  /** What a row whose measured value does not parse does. Default FAIL_FILE. */
  readonly badRows?: 'FAIL_FILE' | 'SKIP_AND_REPORT';
  /** Most groups one report holds; past it the file fails with a clear error. */
  readonly maxGroups?: number;
}
