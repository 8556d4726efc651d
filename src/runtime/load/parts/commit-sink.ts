/**
 * What the last part to finish runs as its sink, inside the claim
 * transaction of the ordinary processing core (../../core/attempt.ts): the
 * file's parts are already COPYed and committed in its parts table, so
 * "loading" the file is attaching that table as the file's partition,
 * after removing the earlier versions' rows (REPLACE) as a one-process load
 * does. The COMMIT that marks the file succeeded is the one moment readers
 * see it, all of it, with the earlier version gone.
 */
import type { ClientBase } from 'pg';
import { forgetParts, readParts } from './part-records';
import { fileRejects } from './part-rejects';
import { attachPartsTable, findPartsTable } from './staging';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { ConfigError } from '../../contract/config';
import type { Logger } from '../../contract/logger';
import type { RowSink } from '../../contract/sink-api';
import { holdTableForLoad, prunePartitions } from '../parallel/prune-partitions';
import { waitForWindowSnapshots } from '../parallel/snapshots';
import { CommitFollower, createPostgresTableSink } from '../sink';
import { qualifiedTableName } from '../validate-config';

export interface CommitParts {
  readonly config: PostgresTableSinkConfig;
  /** This process's own connection, outside the claim transaction (the snapshot wait must read live activity). */
  readonly session: ClientBase;
  /** The parts table and the part count its records are for. */
  readonly staging: number;
  readonly parts: number;
  /** How long to wait for transactions that may hold a snapshot from before the last part committed; default 30 s. */
  readonly snapshotWaitMs?: number;
  /** Where the sweep after the commit says what it could not drop. */
  readonly log: Logger;
}

export function partsCommitSink(c: CommitParts): RowSink & CommitFollower {
  const table = createPostgresTableSink(c.config);
  return {
    keepsEarlierVersions: table.keepsEarlierVersions,
    discard: (client, ids) => table.discard(client, ids),
    async load(client, file) {
      if (!client) throw new ConfigError('--part needs the PostgreSQL ledger');
      // Before any lock on the table: no sweep detaches a partition while this transaction attaches one.
      await holdTableForLoad(client, c.config);
      const parts = await readParts(client, file.fileId, c.staging, true);
      const found = await findPartsTable(client, c.config, file.fileId);
      if (parts.length !== c.parts || found.state !== 'live' || found.oid !== c.staging) {
        throw new Error(`the parts of file ${file.fileId} changed while they were being committed (${parts.length} of ${c.parts} recorded); run any part again`);
      }
      await waitForSnapshots(c, client, file.fileId);
      if (!table.keepsEarlierVersions) await table.discard(client, file.earlierFileIds ?? []);
      await attachPartsTable(client, c.config, file.fileId);
      await forgetParts(client, file.fileId);
      const rejectsCsv = fileRejects(parts);
      return {
        rowsLoaded: parts.reduce((sum, p) => sum + p.rows, 0),
        rowsRejected: parts.reduce((sum, p) => sum + p.rejected, 0),
        ...(rejectsCsv ? { rejectsCsv } : {}),
      };
    },
    /** Once the file is committed, as after a one-process load: the emptied partitions of replaced versions are dropped (../parallel/prune-partitions.ts). */
    async afterCommit(_fileId: number, timeLeftMs?: number) {
      if (!table.keepsEarlierVersions) await prunePartitions(c.session, c.config, { log: c.log, timeLeftMs });
    },
  };
}

/**
 * The parts committed one after the other, maybe minutes apart: a
 * REPEATABLE READ transaction whose snapshot was taken between two of
 * those commits would, once the table is attached, see the parts committed
 * before it (../parallel/snapshots.ts). Every transaction that started
 * before now is waited for.
 */
async function waitForSnapshots(c: CommitParts, claim: ClientBase, fileId: number): Promise<void> {
  const pid = async (client: ClientBase) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const committedAt = (await c.session.query<{ t: string }>('SELECT clock_timestamp()::text AS t')).rows[0].t;
  const maxWaitMs = c.snapshotWaitMs ?? 30_000;
  const waited = await waitForWindowSnapshots(c.session, { committedAt, ownPids: [await pid(claim), await pid(c.session)], maxWaitMs });
  if (!waited.ok) {
    throw new Error(`the parts of file ${fileId} are loaded into ${qualifiedTableName(c.config)}, but transactions that may hold a snapshot taken `
      + `while they were committing did not end within ${maxWaitMs} ms (a REPEATABLE READ reader could see part of the file): `
      + `${waited.blocking.map((b) => `pid ${b.pid}${b.application ? ` (${b.application})` : ''}`).join(', ')}; run any part again to commit the file`);
  }
}
