/**
 * The report of a prefix run (CLI `run --prefix`, a scheduled run): one JSON
 * document in the output bucket per run, written when the run ends, also
 * when it stopped early (time budget, SIGTERM) or could not list the prefix.
 *
 * Where: `reports/<date>.json` when the prefix had `{date}` (a rerun or
 * retry of the same date replaces it, so the newest report of a date is the
 * one there); otherwise `reports/<prefix>-<time>.json`, with every `/` of the
 * prefix as `_` (no trailing one; `all` for the empty prefix) and the run's
 * time (the scheduled time when there is one, so a retry of a scheduled run
 * replaces its own report; else when the run started) as
 * `2026-01-15T02-00-00Z`.
 *
 * With report sinks, `aggregates` holds what they computed over the run's
 * files, for people to read:
 *
 *   "aggregates": [{
 *     "sink": 0, "groupBy": ["region"], "measures": [{ "name": "sum_amount", "kind": "sum", "column": "amount" }],
 *     "files": 3, "rows": 1200,
 *     "groups": [{ "group": { "region": "eu" }, "measures": { "sum_amount": "10520.75" } }],
 *     "notIncluded": [{ "key": "raw/2026-01-15/c.csv", "reason": "it has no result document" }]
 *   }]
 */
import { FileOutcome, OutcomeStatus } from './outcome';
import { resultKey } from '../contract/storage';
import type { RunAggregates } from '../report/run-aggregates';

/** Longest prefix part of a report name, in characters (S3 keys are at most 1024 bytes). */
const MAX_NAME_PREFIX = 200;

/** What a prefix run covers. */
export interface PrefixRunRequest {
  readonly bucket: string;
  /** The prefix listed, `{date}` already replaced. */
  readonly prefix: string;
  /** The date put in for `{date}`; absent when the prefix had none. */
  readonly date?: string;
  /** Only keys ending with it ('' for all). */
  readonly suffix: string;
  /** The scheduled time (ISO 8601 UTC) of a scheduled run, or the instant `--date` gave. */
  readonly runTime?: string;
}

export interface RunCounts {
  /** Objects listed under the prefix that end with the suffix (not the pipeline's own outputs). */
  readonly files: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Already done by an earlier run (an earlier invocation of the same scheduled run too). */
  readonly duplicate: number;
  /** Stopped by SIGTERM/SIGINT while being processed; retried by the next run. */
  readonly interrupted: number;
  /** In progress elsewhere, superseded or deleted: nothing changed. */
  readonly skipped: number;
  /** Listed but not started: the run was interrupted, or its time budget ran out. */
  readonly notStarted: number;
  /** Rows loaded (or counted) by the files that succeeded in this run. */
  readonly rows: number;
  /** Rows rejected by the files that succeeded in this run. */
  readonly rowsRejected: number;
}

/** One listed file in the report. */
export interface RunReportFile {
  readonly key: string;
  /** The version id or ETag processed; null when it was not resolved (not started, failed before). */
  readonly version: string | null;
  readonly status: OutcomeStatus | 'not-started';
  /** For a duplicate: the rows of the earlier run that processed it. */
  readonly rows: number | null;
  readonly rowsRejected: number | null;
  readonly error?: string;
  readonly reason?: string;
  /** Key of the file's result document in the output bucket, for the outcomes that have one. */
  readonly resultKey?: string;
}

/** The document at `reports/<name>.json`. */
export interface RunReport {
  readonly bucket: string;
  readonly prefix: string;
  readonly date?: string;
  readonly suffix: string;
  readonly scheduledTime?: string;
  /** ISO 8601 UTC. */
  readonly started: string;
  readonly finished: string;
  /** Every listed file was started (and the listing worked). */
  readonly complete: boolean;
  /** Why files were left not started: `interrupted` (SIGTERM/SIGINT) or `time` (the invocation's time budget). */
  readonly stoppedBecause?: 'interrupted' | 'time';
  /** Set when the prefix could not be listed. */
  readonly error?: string;
  readonly counts: RunCounts;
  /**
   * With report sinks (`Sink.report()`): per report sink, its groups and
   * measures merged over the files that succeeded in this run and the
   * duplicates an earlier run processed (read back from their result
   * documents), with the files left out and why (../report/run-aggregates.ts).
   * Absent without report sinks.
   */
  readonly aggregates?: RunAggregates[];
  readonly files: RunReportFile[];
}

/** The report's name under `reports/` (without `.json`). */
export function reportName(request: PrefixRunRequest, started: Date): string {
  if (request.date !== undefined) return request.date;
  const slug = request.prefix.replace(/\/+$/, '').replace(/[/\\]/g, '_').slice(0, MAX_NAME_PREFIX) || 'all';
  const at = request.runTime ? new Date(request.runTime) : started;
  return `${slug}-${at.toISOString().slice(0, 19).replace(/:/g, '-')}Z`;
}

const WITH_RESULT: ReadonlySet<string> = new Set(['succeeded', 'failed', 'duplicate']);

export function reportFile(o: FileOutcome): RunReportFile {
  return {
    key: o.key,
    version: o.version,
    status: o.status,
    rows: o.rows,
    rowsRejected: o.rowsRejected,
    ...(o.error !== undefined ? { error: o.error } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
    ...(WITH_RESULT.has(o.status) ? { resultKey: resultKey(o.key) } : {}),
  };
}

export function notStartedFile(key: string): RunReportFile {
  return { key, version: null, status: 'not-started', rows: null, rowsRejected: null };
}

export function countFiles(files: readonly RunReportFile[]): RunCounts {
  const counts = { files: files.length, succeeded: 0, failed: 0, duplicate: 0, interrupted: 0, skipped: 0, notStarted: 0, rows: 0, rowsRejected: 0 };
  for (const f of files) {
    if (f.status === 'succeeded') {
      counts.succeeded++;
      counts.rows += f.rows ?? 0;
      counts.rowsRejected += f.rowsRejected ?? 0;
    } else if (f.status === 'failed' || f.status === 'duplicate' || f.status === 'interrupted') {
      counts[f.status]++;
    } else if (f.status === 'not-started') {
      counts.notStarted++;
    } else {
      counts.skipped++;
    }
  }
  return counts;
}
