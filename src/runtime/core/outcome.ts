/** What processing one file produced, and the documents derived from it. */
import { ErrorKind } from '../contract/ledger';
import { VersionKind } from '../contract/source';
import { ResultDocument } from '../contract/storage';

/**
 * - `succeeded`, `failed`: this run processed the version (a content error
 *   is final: `retry` false; a failure of the pipeline itself is retried).
 * - `duplicate`: an earlier run already reached a final outcome for it.
 * - `in-progress`: another run holds this version (`retry` false) or another
 *   version of the key for longer than this run could wait (`retry` true).
 * - `superseded`: a newer version of the key is already loaded, or the object
 *   was overwritten before it could be read; nothing changed.
 * - `gone`: deleted before it could be read; nothing changed.
 * - `interrupted`: the host asked the run to stop (CLI `run`: SIGTERM,
 *   SIGINT) before the version was done; the open transaction was rolled
 *   back, so nothing of it is loaded (a chunked load keeps the chunks it
 *   committed, `rowsCommitted`, and the next run resumes after them), and
 *   the version is retried (`retry` true, `file_metadata` says failed with
 *   error_kind internal).
 *   Only hosts that pass an interrupt signal see it; the Lambda passes none.
 */
export type OutcomeStatus = 'succeeded' | 'failed' | 'duplicate' | 'in-progress' | 'superseded' | 'gone' | 'interrupted';

export interface FileOutcome {
  readonly status: OutcomeStatus;
  readonly bucket: string;
  readonly key: string;
  readonly version: string | null;
  readonly versionKind: VersionKind | null;
  /** `file_metadata.id`; absent when the failure came before the file was claimed. */
  readonly fileId?: number;
  readonly attempt?: number;
  readonly rows: number | null;
  readonly rowsRejected: number | null;
  readonly started: string;
  readonly finished: string;
  readonly durationMs: number;
  readonly error?: string;
  readonly errorKind?: ErrorKind;
  readonly result?: string;
  readonly backup?: string;
  readonly rejects?: string;
  /**
   * Whether the host should deliver the event again (SQS: a batch item
   * failure). True only for failures of the pipeline itself.
   */
  readonly retry?: boolean;
  /** Why the outcome is what it is, for duplicates, skips and waits (CLI and logs). */
  readonly reason?: string;
  /**
   * Rows earlier attempts had already committed in checkpointed chunks when
   * this one began (it resumed there). Absent: it read the file from the start.
   */
  readonly resumedFrom?: number;
  /**
   * `interrupted` chunked loads: rows committed in checkpoints so far, which
   * the next run keeps and resumes after.
   */
  readonly rowsCommitted?: number;
  /**
   * Per sink (by index), what it computed over the file (the report sink's
   * aggregates), or null; absent when no sink has a summary.
   */
  readonly sinkSummaries?: (Readonly<Record<string, unknown>> | null)[];
  /** The original error, for the caller to rethrow; not serialised. */
  readonly cause?: unknown;
}

export function toResultDocument(o: FileOutcome & { status: 'succeeded' | 'failed' }): ResultDocument {
  return {
    bucket: o.bucket,
    key: o.key,
    version: o.version,
    rows: o.rows,
    rowsRejected: o.rowsRejected,
    status: o.status,
    started: o.started,
    finished: o.finished,
    durationMs: o.durationMs,
    ...(o.error !== undefined ? { error: o.error } : {}),
    ...(o.resumedFrom !== undefined ? { resumedFrom: o.resumedFrom } : {}),
    ...(o.sinkSummaries ? { sinks: o.sinkSummaries } : {}),
  };
}

/** The outcome without `cause`, safe for JSON (CLI output, Lambda return value). */
export function publicOutcome(o: FileOutcome): Omit<FileOutcome, 'cause'> {
  const { cause: _cause, ...rest } = o;
  return rest;
}
