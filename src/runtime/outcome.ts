/** What processing one file produced, and the documents derived from it. */
import { ErrorKind } from './file-metadata';
import { VersionKind } from './source';
import { ResultDocument } from './storage';

export type OutcomeStatus = 'succeeded' | 'failed' | 'duplicate';

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
  };
}

/** The outcome without `cause`, safe for JSON (CLI output, Lambda return value). */
export function publicOutcome(o: FileOutcome): Omit<FileOutcome, 'cause'> {
  const { cause: _cause, ...rest } = o;
  return rest;
}
