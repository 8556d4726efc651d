/**
 * The `aggregates` of a prefix run's report (`reports/<date>.json`): for
 * each report sink, the file summaries of the run merged into one, over
 *
 * - the files that succeeded in this run (their outcome's summaries), and
 * - the duplicates: files an earlier run already processed (a retry of the
 *   same scheduled run, a rerun of the date), whose summaries are read back
 *   from their result documents (`results/<key>.json`, `sinks[i]`).
 *
 * So a run that was cut short and retried still reports every file of the
 * date once. A file whose summary cannot be had (result document missing or
 * of another version, aggregated under another configuration, or pushing
 * the run past `maxGroups`) is left out and listed in `notIncluded` with
 * the reason, never silently. The sketches distinct counts need for merging
 * are left out of the report: it is read by people.
 */
import { GroupTable } from './group-table';
import { isReportSummary, ReportShape, SummaryGroup, SummaryMeasure, withoutSketches } from './summary';
import { errorMessage } from '../contract/logger';
import type { RowSink } from '../contract/sink-api';
import type { FileOutcome } from '../core/outcome';

/** Result documents read at once. */
const READ_CONCURRENCY = 8;

/** A sink that aggregates into report summaries (createReportSink's): the shape the run merges into. */
export interface ReportRowSink extends RowSink {
  readonly reportShape: ReportShape;
}

/** The stored result document of a key, as far as merging needs it. */
export interface StoredResult {
  readonly version: string | null;
  readonly status: string;
  readonly sinks?: readonly (Readonly<Record<string, unknown>> | null)[];
}

/** Reads `results/<key>.json` of an input key; undefined when there is none. */
export type ResultReader = (key: string) => Promise<StoredResult | undefined>;

/** One report sink's aggregates over the run's files. */
export interface RunAggregates {
  /** Index of the sink in the pipeline's sinks. */
  readonly sink: number;
  readonly groupBy: readonly string[];
  readonly measures: readonly SummaryMeasure[];
  /** Files whose aggregates are included. */
  readonly files: number;
  /** Rows aggregated over those files. */
  readonly rows: number;
  readonly groups: readonly SummaryGroup[];
  /** Files that succeeded (now or earlier) whose aggregates are missing, and why. */
  readonly notIncluded?: readonly { readonly key: string; readonly reason: string }[];
}

function isReportSink(sink: RowSink): sink is ReportRowSink {
  return typeof (sink as Partial<ReportRowSink>).reportShape === 'object';
}

/** Whether the outcome's file has aggregates: processed now, or a duplicate of a success. */
function hasAggregates(o: FileOutcome): boolean {
  return o.status === 'succeeded' || (o.status === 'duplicate' && o.errorKind !== 'input' && o.rows !== null);
}

type Found = { summary: unknown } | { reason: string };

async function summariesOf(o: FileOutcome, sinks: readonly number[], read: ResultReader | undefined): Promise<Found[]> {
  if (o.status === 'succeeded' && o.sinkSummaries) return sinks.map((i) => ({ summary: o.sinkSummaries![i] }));
  if (!read) return sinks.map(() => ({ reason: 'this processor cannot read earlier result documents' }));
  let doc: StoredResult | undefined;
  try {
    doc = await read(o.key);
  } catch (err) {
    return sinks.map(() => ({ reason: `cannot read its result document: ${errorMessage(err)}` }));
  }
  const problem = !doc ? 'it has no result document'
    : doc.version !== o.version ? `its result document is of version ${doc.version}, not ${o.version}`
      : doc.status !== 'succeeded' ? `its result document says ${doc.status}`
        : undefined;
  return sinks.map((i) => (problem ? { reason: problem } : { summary: doc!.sinks?.[i] }));
}

/**
 * The aggregates section of the report: one entry per report sink, in
 * sink order; undefined when the pipeline has no report sink.
 */
export async function runAggregates(
  sinks: readonly RowSink[], outcomes: readonly FileOutcome[], read: ResultReader | undefined,
): Promise<RunAggregates[] | undefined> {
  const indexes = sinks.flatMap((s, i) => (isReportSink(s) ? [i] : []));
  if (indexes.length === 0) return undefined;
  const tables = indexes.map((i) => new GroupTable((sinks[i] as ReportRowSink).reportShape));
  const files = indexes.map(() => 0);
  const missing: { key: string; reason: string }[][] = indexes.map(() => []);
  const done = outcomes.filter(hasAggregates);
  for (let start = 0; start < done.length; start += READ_CONCURRENCY) {
    const batch = done.slice(start, start + READ_CONCURRENCY);
    const found = await Promise.all(batch.map((o) => summariesOf(o, indexes, read)));
    // Merged in key order, whatever order the reads finished in.
    batch.forEach((o, f) => found[f].forEach((got, s) => {
      if ('reason' in got) { missing[s].push({ key: o.key, reason: got.reason }); return; }
      if (!isReportSummary(got.summary)) { missing[s].push({ key: o.key, reason: 'its result has no report summary for this sink' }); return; }
      try {
        tables[s].merge(got.summary, `the summary of ${o.key}`, `with ${o.key} the run would have `);
        files[s]++;
      } catch (err) {
        missing[s].push({ key: o.key, reason: errorMessage(err) });
      }
    }));
  }
  return indexes.map((sink, s) => {
    const merged = withoutSketches(tables[s].toSummary());
    return {
      sink,
      groupBy: merged.groupBy,
      measures: merged.measures,
      files: files[s],
      rows: merged.rows,
      groups: merged.groups,
      ...(missing[s].length ? { notIncluded: missing[s] } : {}),
    };
  });
}
