/**
 * How the file processor hands a file to a row sink (the table loader, later
 * Kafka). The processor owns claiming, the metadata transaction, results,
 * backups and notifications; a sink only moves rows.
 */
import { Readable } from 'stream';
import type { PoolClient } from 'pg';

/** The file being processed, as claimed in `file_metadata`. */
export interface FileContext {
  /** `file_metadata.id` of this file version; rows carry it so reprocessing replaces them. */
  readonly fileId: number;
  readonly bucket: string;
  readonly key: string;
  /** S3 version id, or ETag when versioning is off. */
  readonly version: string;
  /**
   * `file_metadata` ids of the earlier versions of this key that are loaded
   * now. A sink that replaces earlier versions removes their rows in this
   * transaction; one that keeps them (`keepsEarlierVersions`) leaves them.
   */
  readonly earlierFileIds?: readonly number[];
}

export interface SinkOutcome {
  /** Rows written to the sink. */
  readonly rowsLoaded: number;
  /** Rows rejected by the bad-row policy (0 with FAIL_FILE). */
  readonly rowsRejected: number;
  /**
   * Rejected rows as CSV (`line,reason,raw`), when any. The processor writes it
   * to `rejects/<key>.csv` in the output bucket (or the CLI output dir).
   */
  readonly rejectsCsv?: string;
}

export interface RowSink {
  /** True when rows of earlier versions of a key stay beside the new version's (APPEND). */
  readonly keepsEarlierVersions?: boolean;

  /**
   * Loads the rows of one file. Runs inside the transaction that also marks
   * the file succeeded: throwing rolls back everything the sink wrote.
   * `open()` returns a fresh byte stream of the object each time it is called.
   * Errors a user can fix (bad header, bad row under FAIL_FILE) are thrown as
   * `InputError` with line/column in the message.
   */
  load(client: PoolClient, file: FileContext, open: () => Promise<Readable>): Promise<SinkOutcome>;
}
