/**
 * The file ledger as the processing core sees it: the record of every file
 * version (claim, attempts, outcome, notification) and of checkpointed
 * loads. Two implementations: PostgreSQL (`file_metadata`, ../ledger/
 * postgres-ledger.ts: advisory locks, the sinks' rows in the same
 * transaction) and DynamoDB (../ledger/dynamodb/: conditional writes and
 * leases with expiry). The core never knows which.
 *
 * Guarantees every implementation gives:
 * - one live claim per version: a second `claim` of a version held elsewhere
 *   returns `version-busy` at once;
 * - versions of one key are processed one after the other: `claim` waits
 *   (bounded by the budget) for the key, and returns `key-busy` when it
 *   cannot get it in time;
 * - a claim whose holder died is given up (PostgreSQL: with the session;
 *   DynamoDB: when its lease expires), and every write of a claim that lost
 *   its hold fails instead of changing the record;
 * - a transaction's writes are all kept or all lost.
 */
import type { PoolClient } from 'pg';
import type { FileRef } from './source';
import type { Budget } from '../core/deadline';

export type FileStatus = 'processing' | 'succeeded' | 'failed' | 'superseded' | 'gone' | 'replaced';

/** Statuses after which nothing is done again for the version (without --force). */
export const FINAL_STATUSES: ReadonlySet<FileStatus> = new Set(['succeeded', 'superseded', 'gone', 'replaced']);
export type ErrorKind = 'input' | 'internal';

/** The ledger's record of one file version. */
export interface FileRow {
  readonly id: number;
  readonly status: FileStatus;
  readonly rowsCount: number | null;
  readonly rowsRejected: number | null;
  readonly attempts: number;
  readonly error: string | null;
  readonly errorKind: ErrorKind | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly notifiedAt: Date | null;
  readonly sequencer: string | null;
  readonly objectModifiedAt: Date | null;
}

/** The newest version of a key loaded so far, to order an incoming one against. */
export interface LoadedVersion {
  readonly id: number;
  readonly sequencer: string | null;
  /** `object_modified_at`. */
  readonly modifiedAt: Date | null;
}

/** Where a checkpointed load of one file version stands. */
export interface Checkpoint {
  readonly fileId: number;
  readonly version: string;
  readonly sizeBytes: number;
  /** Where the header ends: a resume reads the same header again. */
  readonly dataOffset: number;
  /** The next chunk starts here (a record boundary). */
  readonly byteOffset: number;
  /** Physical line of the file at `byteOffset`. */
  readonly nextLine: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly chunks: number;
}

/** What one committed chunk leaves besides its rows: its rejected rows and the sinks' summaries. */
export interface ChunkRecord {
  /** Line the chunk starts on (chunks are read back in this order). */
  readonly firstLine: number;
  /** Rejected rows listed in `rejectsCsv`. */
  readonly listed: number;
  /** Rejected rows as CSV lines, without the header; '' for none. */
  readonly rejectsCsv: string;
  /** Per sink (by index), the summary of this chunk, or null. */
  readonly summaries: readonly (Readonly<Record<string, unknown>> | null)[];
}

export type ClaimResult =
  | { readonly kind: 'claimed'; readonly claim: FileClaim }
  /** Another run holds this version right now. */
  | { readonly kind: 'version-busy'; readonly fileId: number }
  /** Another version of the key was being processed for longer than this run could wait. */
  | { readonly kind: 'key-busy'; readonly fileId: number };

export interface Ledger {
  /**
   * Whether sinks that write into PostgreSQL can run with this ledger (they
   * get its transaction's client).
   */
  readonly inPostgres: boolean;
  /**
   * Records the version on first sight and takes its claim (the version's
   * hold, then the key's, waiting for the key at most as long as the
   * budget allows).
   */
  claim(ref: FileRef, budget: Budget): Promise<ClaimResult>;
  /**
   * A connection to the ledger's database outside any claim, for the parts
   * of a file split across processes (CLI `--part`, Batch array jobs), which
   * load and record their byte ranges before one of them claims the file to
   * commit it. Only the PostgreSQL ledger has one; without it `--part` is refused.
   */
  connect?(): Promise<PoolClient>;
}

/** A claimed file version: every call acts on it while this run holds it. */
export interface FileClaim {
  readonly fileId: number;
  read(): Promise<FileRow>;
  recordModifiedAt(at: Date | undefined): Promise<void>;
  /** Versions load in order (older ones are superseded), so the last one to finish is the newest. */
  newestLoadedVersion(): Promise<LoadedVersion | undefined>;
  /** A final outcome without an attempt: the version was superseded or is gone. */
  markSkipped(status: 'superseded' | 'gone', reason: string, at: Date): Promise<void>;
  /** Commits on its own; returns the attempt number. */
  markStarted(at: Date): Promise<number>;
  /**
   * Runs `body` in one ledger transaction, committed when it resolves and
   * rolled back when it throws. `durable: false` lets the commit skip
   * waiting for the log flush (a chunk and its checkpoint are lost or kept
   * together, and a lost one is loaded again).
   */
  transaction<T>(body: (tx: LedgerTransaction) => Promise<T>, options?: { durable?: boolean }): Promise<T>;
  /**
   * Marks the attempt failed. With `discard`, in one transaction with
   * `discard(tx)` (which removes committed chunks' rows) and the checkpoint's
   * removal. When this run's own connection is what failed, the
   * implementation may record it through another, if the claim is still
   * this run's; it throws when it could not record it at all.
   */
  markFailed(error: string, kind: ErrorKind, at: Date, discard?: (tx: LedgerTransaction) => Promise<void>): Promise<void>;
  markNotified(): Promise<void>;
  readCheckpoint(): Promise<Checkpoint | undefined>;
  /** Gives up the claim; `healthy` false when the run's connection or session may be broken. */
  release(healthy: boolean): Promise<void>;
}

/** What a transaction of a claim can do. */
export interface LedgerTransaction {
  /**
   * The PostgreSQL client of the transaction, which the sinks that write
   * into PostgreSQL use; undefined with a ledger outside PostgreSQL.
   */
  readonly client: PoolClient | undefined;
  /** Locks the file's record until the transaction ends (PostgreSQL; the claim already excludes other runs). */
  lockRecord(): Promise<void>;
  /** Every loaded earlier version of the key (ids), held until the transaction ends. */
  loadedEarlierVersions(): Promise<number[]>;
  /** Other versions of the key that stopped part way with chunks committed. */
  partlyLoadedVersions(): Promise<number[]>;
  readCheckpoint(): Promise<Checkpoint | undefined>;
  saveCheckpoint(c: Checkpoint): Promise<void>;
  /** Forgets where these versions stood: their checkpoints and chunk records. */
  clearCheckpoints(fileIds: readonly number[]): Promise<void>;
  saveChunk(chunk: ChunkRecord): Promise<void>;
  /** The committed chunks' records, in file order. */
  readChunks(): Promise<ChunkRecord[]>;
  markReplaced(fileIds: readonly number[]): Promise<void>;
  markSucceeded(rows: number, rowsRejected: number, at: Date, resumedFrom?: number): Promise<void>;
}
