/**
 * Where a file's outputs go: result documents, backups of the input and
 * rejected rows. S3 buckets in the processors, a local directory in the CLI.
 * Both use the same layout under their root:
 *
 *   results/<key>.json
 *   rejects/<key>.csv
 *   backup/<UTC timestamp, e.g. 2026-11-22T04-50-00Z>/<key>
 *   reports/<name>.json       one per prefix run (../core/run-report.ts names it)
 */
import { Readable } from 'stream';
import { InputError } from './errors';
import { FileRef } from './source';
import { BACKUP_PREFIX, REJECTS_PREFIX, REPORTS_PREFIX, RESULTS_PREFIX } from '../../shared/object-keys';

/** The document written to `results/<key>.json`. */
export interface ResultDocument {
  readonly bucket: string;
  readonly key: string;
  /** Null when the failure happened before the version was known. */
  readonly version: string | null;
  readonly rows: number | null;
  readonly rowsRejected: number | null;
  readonly status: 'succeeded' | 'failed';
  /** ISO 8601 UTC. */
  readonly started: string;
  readonly finished: string;
  readonly durationMs: number;
  readonly error?: string;
  /**
   * Rows earlier attempts had already committed in checkpointed chunks when
   * this attempt began (it read the file from there). Absent: from the start.
   */
  readonly resumedFrom?: number;
  /**
   * Per sink (by index in the pipeline's sinks), what it computed over the
   * file (the report sink's aggregates), or null. Absent when no sink has a
   * summary.
   */
  readonly sinks?: readonly (Readonly<Record<string, unknown>> | null)[];
}

export interface ResultStorage {
  /** Returns where it was written (`s3://...` or a path). */
  writeResult(file: FileRef, result: ResultDocument): Promise<string>;
  writeRejects(file: FileRef, csv: string): Promise<string>;
  /** Removes `rejects/<key>.csv` if there is one (a clean newer version replaces an earlier one's). */
  deleteRejects(file: FileRef): Promise<void>;
  /** Copies the exact version of the input; `open` streams it when a copy must go through this process. */
  backup(file: FileRef, sizeBytes: number, open: () => Promise<Readable>, at: Date): Promise<string>;
  /** Writes a prefix run's report as JSON to `reports/<name>.json` (replacing an earlier one); returns where. */
  writeReport(name: string, report: object): Promise<string>;
  /** Reads `results/<key>.json` back (a run report merges duplicates' sink summaries); undefined when there is none. */
  readResult?(key: string): Promise<ResultDocument | undefined>;
}

export function resultKey(key: string): string {
  return `${RESULTS_PREFIX}${key}.json`;
}

export function rejectsKey(key: string): string {
  return `${REJECTS_PREFIX}${key}.csv`;
}

/** `name` is one path segment chosen by the runtime (a date, or a prefix and a time), never a user's key. */
export function reportKey(name: string): string {
  if (name === '' || /[/\\]/.test(name) || name === '.' || name === '..') throw new Error(`Invalid report name ${JSON.stringify(name)}`);
  return `${REPORTS_PREFIX}${name}.json`;
}

/** Colons are awkward in S3 keys and invalid in Windows paths, hence `04-50-00`. */
export function backupTimestamp(at: Date): string {
  return at.toISOString().slice(0, 19).replace(/:/g, '-') + 'Z';
}

export function backupKey(key: string, at: Date): string {
  return `${BACKUP_PREFIX}${backupTimestamp(at)}/${key}`;
}

/** S3 refuses keys longer than this many bytes of UTF-8, destination keys of copies included. */
export const MAX_OUTPUT_KEY_BYTES = 1024;

/**
 * Throws an InputError when the outputs of `key` cannot be written: the
 * backup key (the longest of the three, 28 bytes more than the input's)
 * would be longer than S3 allows. S3 would refuse it on every retry, so the
 * file fails at once, on its name, instead.
 */
export function assertOutputKeysFit(key: string): void {
  const keyBytes = Buffer.byteLength(key, 'utf8');
  const backupBytes = Buffer.byteLength(backupKey(key, new Date(0)), 'utf8');
  if (backupBytes > MAX_OUTPUT_KEY_BYTES) {
    throw new InputError(`The key is ${keyBytes} bytes long: its backup key ${BACKUP_PREFIX}<time>/<key> would be ${backupBytes} bytes, `
      + `over S3's limit of ${MAX_OUTPUT_KEY_BYTES}; upload the file under a key of at most ${MAX_OUTPUT_KEY_BYTES - (backupBytes - keyBytes)} bytes`);
  }
}
