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
  /**
   * Set when the file is loaded in checkpointed chunks: this call loads one
   * chunk (the file's header followed by whole records of the file), in a
   * transaction that commits with the chunk's checkpoint. The sink then
   * leaves the earlier versions' rows alone (the processor removes them with
   * `discard` when the last chunk is in).
   */
  readonly chunk?: ChunkContext;
}

export interface ChunkContext {
  /** Physical line of the file the chunk's first record starts on (for messages and rejects). */
  readonly firstLine: number;
  /**
   * True for the first chunk of a load that starts from the beginning: rows
   * of this file id from before (a forced reprocessing, a discarded
   * checkpoint) are removed. Later chunks only add rows.
   */
  readonly first: boolean;
  /** Physical line the next chunk starts on (one past this chunk's last line). */
  readonly nextLine: number;
  /** True for the file's last chunk. */
  readonly last: boolean;
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
  /**
   * What the sink computed over the file (the report sink's aggregates), as
   * JSON: written under `sinks[<index>]` of the file's result document.
   */
  readonly summary?: Readonly<Record<string, unknown>>;
}

export interface RowSink {
  /** True when rows of earlier versions of a key stay beside the new version's (APPEND). */
  readonly keepsEarlierVersions?: boolean;

  /**
   * Loads the rows of one file. Runs inside the ledger transaction that also
   * marks the file succeeded: throwing rolls back everything the sink wrote
   * there. `client` is that transaction's PostgreSQL client with the
   * PostgreSQL ledger, undefined with a ledger outside PostgreSQL (then only
   * sinks that write elsewhere run; a sink that writes outside the ledger,
   * as Kafka does, makes its own writes idempotent).
   * `open()` returns a fresh byte stream of the object each time it is called.
   * Errors a user can fix (bad header, bad row under FAIL_FILE) are thrown as
   * `InputError` with line/column in the message.
   */
  load(client: PoolClient | undefined, file: FileContext, open: () => Promise<Readable>): Promise<SinkOutcome>;

  /**
   * Removes every row these file versions loaded, in the caller's
   * transaction: the earlier versions a chunked load replaces, the
   * committed chunks of a file that then failed on its content, the chunks
   * of a version that stopped part way.
   */
  discard(client: PoolClient | undefined, fileIds: readonly number[]): Promise<void>;

  /**
   * For a sink with a `summary`: one summary of the whole file from the
   * summaries of its chunks (in file order), when the file was loaded in
   * checkpointed chunks, possibly over several attempts. The processor keeps
   * each committed chunk's summary with its checkpoint.
   */
  combineSummaries?(parts: readonly Readonly<Record<string, unknown>>[]): Readonly<Record<string, unknown>>;
}
