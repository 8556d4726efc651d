/**
 * What every parallel load does around its COPYs: N worker connections, the
 * file's staging table (created and committed, held by an advisory lock),
 * one transaction per worker; once the rows are in, the workers commit one
 * after the other, the load waits for the transactions that may hold a
 * snapshot taken meanwhile (./snapshots.ts), and the claim transaction
 * attaches the staging table as the file's partition. Its COMMIT (the
 * caller's) is the one moment readers see the file. A crash at any point
 * leaves at most a staging table nobody sees, swept by the next parallel
 * load of the table.
 */
import type { ClientBase } from 'pg';
import { ConnectWorker, connectionsLike, WorkerConnection } from './connections';
import {
  attachPartition, createStagingTable, hasUniqueIndex, lockStagingTable, partitionName, partitionState, sweepStagingTables, unlockStagingTable,
} from './partitions';
import { waitForWindowSnapshots } from './snapshots';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { Logger, stderrLogger } from '../../contract/logger';
import type { SinkOutcome } from '../../contract/sink-api';
import { FILE_ID_SETTING, qualifiedTableName, quoteIdent } from '../validate-config';

/** Where a parallel load is; the crash-window tests stop the process at each. */
export type ParallelStep = 'staging-created' | 'segment-copied' | 'worker-committed' | 'parts-committed' | 'attached';

export interface ParallelLoadOptions {
  /** Opens a worker connection; default: a new connection with the claim connection's settings. */
  readonly connect?: ConnectWorker;
  /**
   * Bytes per segment (each segment is one COPY on one connection; a FAIL_FILE load holds up to
   * `parallelism + 2` segments in memory, a checked load two per connection). Default 2 MiB: larger ones only raise the peak RSS (8 MiB: +40 MB).
   */
  readonly segmentBytes?: number;
  /**
   * How long to wait, once the workers have committed, for transactions that
   * may hold a snapshot taken while they were committing (./snapshots.ts);
   * past it the file is loaded through one connection. Default 30 s.
   */
  readonly snapshotWaitMs?: number;
  /** Where the fall-backs to one connection are said; default: JSON lines on stderr (CloudWatch Logs in AWS). */
  readonly log?: Logger;
  /**
   * Bound on each wait of the sweep that drops the emptied partitions of
   * replaced versions after a file commits (./prune-partitions.ts); past it
   * the partition is left for the next sweep. Default 10 s.
   */
  readonly pruneWaitMs?: number;
  /** Awaited at each step (tests). */
  readonly onStep?: (step: ParallelStep) => Promise<void> | void;
}

/** The file's outcome, or which one-connection path must load it instead (nothing is left written). */
export type ParallelResult = SinkOutcome | 'use-checked' | 'one-connection';

export const DEFAULT_SEGMENT_BYTES = 2 * 1024 * 1024;

/** The workers' open transactions, into the staging table `staging` (qualified, quoted). */
export interface Staged {
  readonly workers: readonly ClientBase[];
  readonly staging: string;
}

/**
 * Runs `copy` with the workers' transactions open on the file's staging
 * table, then commits them and attaches the table in `claim`'s transaction
 * (which the caller commits). A string from `copy` says which one-connection
 * path loads the file instead: everything is rolled back and the staging
 * table dropped.
 */
export async function loadThroughStaging(
  claim: ClientBase, config: PostgresTableSinkConfig, fileId: number, parallelism: number, options: ParallelLoadOptions,
  copy: (staged: Staged) => Promise<ParallelResult>,
): Promise<ParallelResult> {
  // Rows of a unique index in two workers' open transactions would wait for each other.
  if (await hasUniqueIndex(claim, config)) return 'one-connection';
  const workers = await openWorkers(options.connect ?? connectionsLike(claim), parallelism);
  const lead = workers[0].client;
  let created = false;
  try {
    await sweepStagingTables(lead, config);
    await lockStagingTable(lead, config, fileId);
    // One transaction: a table of that name without its marker comment would never be swept, and would stop the file.
    await lead.query('BEGIN');
    await createStagingTable(lead, config, fileId);
    await lead.query('COMMIT');
    created = true;
    await options.onStep?.('staging-created');
    const pids: number[] = [];
    await Promise.all([claim, ...workers.map((w) => w.client)].map(async (c) => {
      pids.push((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    }));
    await Promise.all(workers.map(async (w) => {
      await w.client.query('BEGIN');
      // Safe: the claim transaction's COMMIT comes later and is flushed with everything before it.
      await w.client.query('SET LOCAL synchronous_commit TO off');
      await w.client.query('SELECT set_config($1, $2, true)', [FILE_ID_SETTING, String(fileId)]);
    }));
    const staging = `${quoteIdent(config.schema)}.${quoteIdent(partitionName(config.table, fileId))}`;
    const outcome = await copy({ workers: workers.map((w) => w.client), staging });
    if (typeof outcome === 'string') return outcome;

    // One after the other, so that the window between the first and the last commit is the shortest and known.
    for (const [i, w] of workers.entries()) {
      await w.client.query('COMMIT');
      if (i === 0) await options.onStep?.('worker-committed');
    }
    const committedAt = (await lead.query<{ t: string }>('SELECT clock_timestamp()::text AS t')).rows[0].t;
    await options.onStep?.('parts-committed');
    const waited = await waitForWindowSnapshots(lead, { committedAt, ownPids: pids, maxWaitMs: options.snapshotWaitMs ?? 30_000 });
    if (!waited.ok) {
      (options.log ?? stderrLogger).warn('loading the file through one connection: transactions that may hold a snapshot taken while the parallel parts were committing '
        + 'did not end in time (a REPEATABLE READ reader could see part of the file); sessions of other roles count unless this role has pg_read_all_stats', {
        table: qualifiedTableName(config), fileId, blocking: waited.blocking,
      });
      return 'one-connection';
    }
    await attachPartition(claim, config, fileId);
    created = false;
    await options.onStep?.('attached');
    return outcome;
  } finally {
    await cleanUp(workers, config, fileId, created);
  }
}

async function openWorkers(connect: ConnectWorker, n: number): Promise<WorkerConnection[]> {
  const opened = await Promise.allSettled(Array.from({ length: n }, () => connect()));
  const workers = opened.filter((o): o is PromiseFulfilledResult<WorkerConnection> => o.status === 'fulfilled').map((o) => o.value);
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await Promise.all(workers.map((w) => w.close().catch(() => undefined)));
    throw failed.reason;
  }
  return workers;
}

/**
 * Rolls back whatever the workers still have open; a staging table that was
 * not attached is dropped (best effort: the next load's sweep drops it
 * otherwise); the advisory lock goes with the connection.
 */
async function cleanUp(workers: WorkerConnection[], config: PostgresTableSinkConfig, fileId: number, dropStaging: boolean): Promise<void> {
  await Promise.all(workers.map((w) => w.client.query('ROLLBACK').catch(() => undefined)));
  const lead = workers[0].client;
  try {
    if (dropStaging && (await partitionState(lead, config, fileId)) === 'staging') {
      await lead.query(`DROP TABLE ${quoteIdent(config.schema)}.${quoteIdent(partitionName(config.table, fileId))}`);
    }
    await unlockStagingTable(lead, config, fileId);
  } catch {
    // The connection failed: its lock is gone with it, the table is swept later.
  }
  await Promise.all(workers.map((w) => w.close().catch(() => undefined)));
}
