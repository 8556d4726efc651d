/**
 * The report sink's `SinkOutcome.summary`: what one file (or chunk, or a
 * whole run once merged) aggregated, as JSON that people read and that
 * merges exactly. It goes into `sinks[i]` of the file's result document and,
 * merged over the files of a scheduled run, into `reports/<date>.json`.
 *
 *   {
 *     "format": "report/1",
 *     "groupBy": ["region"],
 *     "measures": [{ "name": "count", "kind": "count" }, { "name": "sum_amount", "kind": "sum", "column": "amount" }],
 *     "maxGroups": 10000,
 *     "rows": 3,
 *     "groups": [
 *       { "group": { "region": "eu" }, "measures": { "count": 2, "sum_amount": "10.50" } },
 *       { "group": { "region": null }, "measures": { "count": 1, "sum_amount": null } }
 *     ]
 *   }
 *
 * `group` holds each group-by column's value (null: the field was empty);
 * sums, minimums and maximums are exact decimal strings (null: no values),
 * counts and distinct-count estimates are numbers. A group of a report with
 * distinctCount measures also has `sketches` (the HyperLogLog registers,
 * base64), which merging needs and the run report leaves out. Groups are in
 * a fixed order (by their values), so equal aggregates are equal JSON.
 */
import { measureName, MeasureKind, ReportSinkConfig, DEFAULT_MAX_GROUPS } from '../../shared/report-sink-config';

export const SUMMARY_FORMAT = 'report/1';

export interface SummaryMeasure {
  readonly name: string;
  readonly kind: MeasureKind;
  readonly column?: string;
}

export interface SummaryGroup {
  readonly group: Record<string, string | null>;
  readonly measures: Record<string, number | string | null>;
  readonly sketches?: Record<string, string>;
}

/** A type, not an interface, so that it is a `Record<string, unknown>` as `SinkOutcome.summary` wants. */
export type ReportSummary = {
  readonly format: typeof SUMMARY_FORMAT;
  readonly groupBy: readonly string[];
  readonly measures: readonly SummaryMeasure[];
  readonly maxGroups: number;
  /** Rows aggregated (the rows rejected under SKIP_AND_REPORT are not). */
  readonly rows: number;
  readonly groups: readonly SummaryGroup[];
};

/** What a summary aggregates, from the sink's configuration. */
export interface ReportShape {
  readonly groupBy: readonly string[];
  readonly measures: readonly SummaryMeasure[];
  readonly maxGroups: number;
}

export function shapeOf(config: ReportSinkConfig): ReportShape {
  return {
    groupBy: [...config.groupBy],
    measures: config.measures.map((m) => ({ name: measureName(m), kind: m.kind, ...(m.column !== undefined ? { column: m.column } : {}) })),
    maxGroups: config.maxGroups ?? DEFAULT_MAX_GROUPS,
  };
}

export function isReportSummary(value: unknown): value is ReportSummary {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === SUMMARY_FORMAT;
}

/**
 * Why a summary cannot merge into aggregates of `shape` (other group-by
 * columns or measures: written under an earlier configuration), or
 * undefined when it can. The group limit may differ.
 */
export function shapeMismatch(shape: ReportShape, summary: ReportSummary): string | undefined {
  const describe = (s: { groupBy: readonly string[]; measures: readonly SummaryMeasure[] }): string =>
    `group by (${s.groupBy.join(', ')}) measuring ${s.measures.map((m) => `${m.name}=${m.kind}${m.column !== undefined ? `(${m.column})` : ''}`).join(', ')}`;
  const mine = describe(shape);
  const theirs = Array.isArray(summary.groupBy) && Array.isArray(summary.measures) ? describe(summary) : 'an unreadable shape';
  return mine === theirs ? undefined : `it was aggregated with another report configuration (${theirs}, not ${mine})`;
}

/** The summary for people: without the sketches only merging needs. */
export function withoutSketches(summary: ReportSummary): ReportSummary {
  return { ...summary, groups: summary.groups.map(({ sketches: _s, ...g }) => g) };
}
