/**
 * The PostgreSQL ledger: `file_metadata` and the checkpoint tables
 * (./file-metadata.ts, ./checkpoints.ts) in the same database as the table
 * sinks, so a file's rows and its outcome commit in one transaction.
 *
 * A claim is one pooled connection holding the version's and the key's
 * session advisory locks (see ./file-metadata.ts), with lock waits and
 * statements bounded by the run's budget and the running statement
 * cancelled when the host interrupts the run (./interrupt.ts).
 */
import type { PoolClient } from 'pg';
import {
  clearCheckpoint, partlyLoadedVersions, readCheckpoint, readChunks, saveCheckpoint, saveChunk,
} from './checkpoints';
import { Database } from './database';
import {
  ensureFileRow, lockKey, lockLoadedVersions, markFailed, markNotified, markReplaced, markSkipped, markStarted, markSucceeded,
  newestLoadedVersion, readFileRow, recordModifiedAt, tryLockVersion, unlockKey, unlockVersion,
} from './file-metadata';
import { cancelOnInterrupt } from './interrupt';
import {
  ClaimResult, ErrorKind, FileClaim, Ledger, LedgerTransaction,
} from '../contract/ledger';
import { Logger } from '../contract/logger';
import { FileRef } from '../contract/source';
import {
  applySessionTimeouts, Budget, isDeadlineError, isLockTimeout, resetSessionTimeouts,
} from '../core/deadline';

/** How long recording a failure on a new connection may take (the run's own session died). */
const FRESH_CONNECT_MS = 2000;

export class PostgresLedger implements Ledger {
  public readonly inPostgres = true;

  constructor(private readonly database: Database, private readonly log: Logger) {}

  async claim(ref: FileRef, budget: Budget): Promise<ClaimResult> {
    const client = await this.database.connect();
    const unwatch = cancelOnInterrupt(budget.interrupt, client, this.database, this.log);
    try {
      await applySessionTimeouts(client, budget);
      const fileId = await ensureFileRow(client, ref);
      if (!(await tryLockVersion(client, fileId))) {
        await this.giveBack(client, unwatch);
        return { kind: 'version-busy', fileId };
      }
      try {
        await lockKey(client, ref);
      } catch (err) {
        // lock_timeout and statement_timeout end this wait at the same moment; either means "not in time".
        if (!isLockTimeout(err) && !isDeadlineError(err, budget)) throw err;
        await unlockVersion(client, fileId);
        await this.giveBack(client, unwatch);
        return { kind: 'key-busy', fileId };
      }
      return { kind: 'claimed', claim: new PostgresClaim(client, fileId, ref, this.database, unwatch) };
    } catch (err) {
      unwatch();
      client.release(true);
      throw err;
    }
  }

  connect(): Promise<PoolClient> {
    return this.database.connect();
  }

  private async giveBack(client: PoolClient, unwatch: () => void): Promise<void> {
    unwatch();
    await resetSessionTimeouts(client);
    client.release();
  }
}

class PostgresClaim implements FileClaim {
  /** The connection a failure was recorded on after the run's own session died; it holds the version's lock. */
  private fresh?: PoolClient;

  constructor(
    private readonly client: PoolClient,
    public readonly fileId: number,
    private readonly ref: FileRef,
    private readonly database: Database,
    private readonly unwatch: () => void,
  ) {}

  read() { return readFileRow(this.client, this.fileId); }
  recordModifiedAt(at: Date | undefined) { return recordModifiedAt(this.client, this.fileId, at); }
  newestLoadedVersion() { return newestLoadedVersion(this.client, this.ref, this.fileId); }
  markSkipped(status: 'superseded' | 'gone', reason: string, at: Date) { return markSkipped(this.client, this.fileId, status, reason, at); }
  markStarted(at: Date) { return markStarted(this.client, this.fileId, at); }
  markNotified() { return markNotified(this.fresh ?? this.client, this.fileId); }
  readCheckpoint() { return readCheckpoint(this.client, this.fileId); }

  async transaction<T>(body: (tx: LedgerTransaction) => Promise<T>, options: { durable?: boolean } = {}): Promise<T> {
    return inTransaction(this.client, this.fileId, this.ref, body, options);
  }

  async markFailed(error: string, kind: ErrorKind, at: Date, discard?: (tx: LedgerTransaction) => Promise<void>): Promise<void> {
    const mark = (client: PoolClient) => (discard
      ? inTransaction(client, this.fileId, this.ref, async (tx) => {
        await discard(tx);
        await tx.clearCheckpoints([this.fileId]);
        await markFailed(client, this.fileId, error, kind, at);
      })
      : markFailed(client, this.fileId, error, kind, at));
    try {
      await mark(this.client);
    } catch (err) {
      if (!(await this.markFailedAfresh(mark))) throw err;
    }
  }

  /**
   * When the run's own session is what failed (server restarted, backend
   * terminated, network cut), records the failure on a new connection, if
   * the server takes one again by now and no other run has claimed the
   * version since the dead session's locks went. False when it could not.
   */
  private async markFailedAfresh(mark: (client: PoolClient) => Promise<void>): Promise<boolean> {
    let fresh: PoolClient | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Bounded: an unreachable server must not eat the time kept back to write the result and notify.
      const connecting = this.database.connect();
      const gaveUp = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), FRESH_CONNECT_MS); });
      fresh = await Promise.race([connecting, gaveUp]);
      if (!fresh) {
        connecting.then((late) => late.release(), () => undefined);
        return false;
      }
      if (!(await tryLockVersion(fresh, this.fileId))) {
        fresh.release();
        fresh = undefined;
        return false;
      }
      try {
        await mark(fresh);
      } catch (err) {
        await unlockVersion(fresh, this.fileId);
        throw err;
      }
      // Kept (with the lock) to record the notification; released with the claim.
      this.fresh = fresh;
      fresh = undefined;
      return true;
    } catch {
      fresh?.release(true);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async release(healthy: boolean): Promise<void> {
    this.unwatch();
    const fresh = this.fresh;
    if (fresh) await unlockVersion(fresh, this.fileId).then(() => fresh.release(), () => fresh.release(true));
    // The run's own session failed when a fresh connection was needed.
    let ok = healthy && !fresh;
    // Ending the session is the fallback unlock if the explicit one fails.
    if (ok) {
      try {
        await unlockKey(this.client, this.ref);
        await unlockVersion(this.client, this.fileId);
        await resetSessionTimeouts(this.client);
      } catch {
        ok = false;
      }
    }
    this.client.release(!ok);
  }
}

async function inTransaction<T>(
  client: PoolClient, fileId: number, ref: FileRef, body: (tx: LedgerTransaction) => Promise<T>, options: { durable?: boolean } = {},
): Promise<T> {
  await client.query('BEGIN');
  try {
    if (options.durable === false) await client.query('SET LOCAL synchronous_commit TO off');
    const result = await body(transactionOn(client, fileId, ref));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function transactionOn(client: PoolClient, fileId: number, ref: FileRef): LedgerTransaction {
  return {
    client,
    // The advisory locks already serialise writers; the row lock also stops
    // anything outside this program from changing the row under us.
    lockRecord: async () => { await readFileRow(client, fileId, true); },
    loadedEarlierVersions: () => lockLoadedVersions(client, ref, fileId),
    partlyLoadedVersions: () => partlyLoadedVersions(client, ref, fileId),
    readCheckpoint: () => readCheckpoint(client, fileId),
    saveCheckpoint: (c) => saveCheckpoint(client, c),
    clearCheckpoints: (ids) => clearCheckpoint(client, ids),
    saveChunk: (chunk) => saveChunk(client, fileId, chunk),
    readChunks: () => readChunks(client, fileId),
    markReplaced: (ids) => markReplaced(client, ids, fileId),
    markSucceeded: (rows, rejected, at, resumedFrom) => markSucceeded(client, fileId, rows, rejected, at, resumedFrom),
  };
}

