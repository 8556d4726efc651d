/**
 * The DynamoDB ledger (`Ledger.dynamoDb()`): the file record of pipelines
 * without a database. Same guarantees as the PostgreSQL ledger
 * (../../contract/ledger.ts), by other means:
 *
 * - the record of a version is created once (a conditional Put; its id from
 *   an atomic counter);
 * - the version's claim is a lease on its item, tried once (held by a live
 *   run: `version-busy`); the key's is a lease on the key's `hold` item,
 *   waited for (polling, bounded like the PostgreSQL lock wait) — see
 *   ./lease.ts. A crashed run's leases expire after `leaseMs`;
 * - every write to the record is conditional on this run's lease, and the
 *   checkpoint's also on the attempt number and on not moving backwards;
 * - a transaction is one TransactWriteItems (./transaction.ts).
 */
import { randomUUID } from 'crypto';
import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, TransactionCanceledException, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ItemUpdate } from './item-update';
import {
  checkpointOf, chunkPrefix, chunksOf, COUNTER_KEY, fileRowOf, holdKey, Item, n, newVersionItem, s, versionKey,
} from './items';
import { DEFAULT_LEASE_MS, dropLease, keepRenewing, LeaseLostError, LeaseOptions, takeLease, takeUnlessLive } from './lease';
import { ClaimState, DynamoTransaction } from './transaction';
import { queryPartition, readVersions, VersionIndex } from './versions';
import {
  Checkpoint, ChunkRecord, ClaimResult, ErrorKind, FileClaim, FileRow, Ledger, LedgerTransaction, LoadedVersion,
} from '../../contract/ledger';
import { FileRef } from '../../contract/source';
import { Budget, DEFAULT_LOCK_WAIT_MS, InterruptedError, interruptReason } from '../../core/deadline';

export interface DynamoDbLedgerOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** How long a lease lasts without renewal; default DEFAULT_LEASE_MS. */
  readonly leaseMs?: number;
  /** Longest wait for another version of the key; default DEFAULT_LOCK_WAIT_MS (bounded by the budget too). */
  readonly keyWaitMs?: number;
  readonly clock?: () => Date;
}

export class DynamoDbLedger implements Ledger {
  public readonly inPostgres = false;

  constructor(private readonly options: DynamoDbLedgerOptions) {}

  async claim(ref: FileRef, budget: Budget): Promise<ClaimResult> {
    const o = this.options;
    const now = () => (o.clock ?? (() => new Date()))();
    const lease: LeaseOptions = {
      client: o.client, table: o.table, holder: randomUUID(), leaseMs: o.leaseMs ?? DEFAULT_LEASE_MS, now: () => now().getTime(),
    };
    const item = await this.ensureVersion(ref);
    const fileId = Number(item.id.N);
    // A held lease is a live run's only if it is renewed; a crashed run's expires and is taken over.
    const waitMs = Math.min(budget.workMs ?? Infinity, lease.leaseMs + 1000);
    if ((await takeUnlessLive(lease, versionKey(ref), waitMs)) === 'live') return { kind: 'version-busy', fileId };
    const held: Item[] = [versionKey(ref)];
    const renewal = keepRenewing(lease, () => held);
    try {
      if (!(await this.waitForKey(lease, ref, budget))) {
        renewal.stop();
        await dropLease(lease, versionKey(ref));
        return { kind: 'key-busy', fileId };
      }
      held.push(holdKey(ref));
    } catch (err) {
      renewal.stop();
      await dropLease(lease, versionKey(ref)).catch(() => undefined);
      throw err;
    }
    return { kind: 'claimed', claim: new DynamoClaim(o.client, o.table, ref, fileId, lease, renewal, now, item.gen?.S) };
  }

  /** The version's item, created (with a new id) on first sight. */
  private async ensureVersion(ref: FileRef): Promise<Item> {
    const { client, table } = this.options;
    const get = () => client.send(new GetItemCommand({ TableName: table, Key: versionKey(ref), ConsistentRead: true }));
    const found = (await get()).Item;
    if (found) return found;
    const counter = await client.send(new UpdateItemCommand({
      TableName: table,
      Key: COUNTER_KEY,
      UpdateExpression: 'ADD #n :one',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':one': n(1) },
      ReturnValues: 'UPDATED_NEW',
    }));
    const item = newVersionItem(ref, Number(counter.Attributes!.n.N));
    try {
      await client.send(new PutItemCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return item;
    } catch (err) {
      // Another run created it first: its id is the version's.
      if (err instanceof ConditionalCheckFailedException) return (await get()).Item!;
      throw err;
    }
  }

  /** Waits for the key's hold, polling; false when it could not be had in time. */
  private async waitForKey(lease: LeaseOptions, ref: FileRef, budget: Budget): Promise<boolean> {
    const waitMs = Math.min(budget.workMs ?? Infinity, this.options.keyWaitMs ?? DEFAULT_LOCK_WAIT_MS);
    const until = Date.now() + waitMs;
    let pause = 100;
    for (;;) {
      if (await takeLease(lease, holdKey(ref))) return true;
      if (budget.interrupt?.aborted) throw new InterruptedError(`stopped waiting for another version of the key: ${interruptReason(budget.interrupt)}`);
      if (Date.now() + pause > until) return false;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 2000);
    }
  }
}

class DynamoClaim implements FileClaim, ClaimState {
  public attempt?: number;
  private readonly key: Item;

  constructor(
    public readonly client: DynamoDBClient,
    public readonly table: string,
    public readonly ref: FileRef,
    public readonly fileId: number,
    private readonly lease: LeaseOptions,
    private readonly renewal: { stop(): void; lost(): boolean },
    public readonly now: () => Date,
    public gen: string | undefined,
  ) {
    this.key = versionKey(ref);
  }

  get versionKey(): Item { return this.key; }
  get holder(): string { return this.lease.holder; }

  async read(): Promise<FileRow> {
    return fileRowOf(await this.item());
  }

  async recordModifiedAt(at: Date | undefined): Promise<void> {
    if (at) await this.update(this.mine().set('objectModifiedAt', s(at.toISOString())));
  }

  async newestLoadedVersion(): Promise<LoadedVersion | undefined> {
    const loaded = (await this.versions()).versions.filter((v) => v.status === 'succeeded' && v.id !== this.fileId);
    loaded.sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0) || b.id - a.id);
    const newest = loaded[0];
    return newest ? { id: newest.id, sequencer: newest.sequencer, modifiedAt: newest.modifiedAt } : undefined;
  }

  async markSkipped(status: 'superseded' | 'gone', reason: string, at: Date): Promise<void> {
    await this.update(this.mine().set('status', s(status)).set('error', s(reason)).set('finishedAt', s(at.toISOString()))
      .remove('errorKind', 'rowsCount', 'rowsRejected'));
  }

  async markStarted(at: Date): Promise<number> {
    const out = await this.client.send(new UpdateItemCommand({
      ...this.mine().set('status', s('processing')).set('startedAt', s(at.toISOString())).add('attempts', n(1))
        .remove('finishedAt', 'error', 'errorKind', 'rowsCount', 'rowsRejected', 'notifiedAt')
        .build(this.table),
      ReturnValues: 'UPDATED_NEW',
    })).catch((err) => { throw this.lost(err); });
    this.attempt = Number(out.Attributes!.attempts.N);
    return this.attempt;
  }

  async transaction<T>(body: (tx: LedgerTransaction) => Promise<T>): Promise<T> {
    const tx = new DynamoTransaction(this);
    const result = await body(tx);
    await tx.commit().catch((err) => { throw this.lost(err); });
    return result;
  }

  async markFailed(error: string, kind: ErrorKind, at: Date, discard?: (tx: LedgerTransaction) => Promise<void>): Promise<void> {
    const tx = new DynamoTransaction(this);
    if (discard) {
      await discard(tx);
      await tx.clearCheckpoints([this.fileId]);
    }
    tx.markFailed(error, kind, at);
    await tx.commit().catch((err) => { throw this.lost(err); });
  }

  async markNotified(): Promise<void> {
    await this.update(this.mine().set('notifiedAt', s(this.now().toISOString())));
  }

  async readCheckpoint(): Promise<Checkpoint | undefined> {
    return checkpointOf(await this.item());
  }

  async readChunks(gen: string): Promise<ChunkRecord[]> {
    const items = await queryPartition(this.client, this.table, this.ref, chunkPrefix(this.fileId));
    return chunksOf(items.filter((i) => i.gen?.S === gen));
  }

  versions(): Promise<VersionIndex> {
    return readVersions(this.client, this.table, this.ref);
  }

  async release(): Promise<void> {
    this.renewal.stop();
    // Best effort: a lease not given back expires.
    await dropLease(this.lease, holdKey(this.ref)).catch(() => undefined);
    await dropLease(this.lease, this.key).catch(() => undefined);
  }

  private async item(): Promise<Item> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: this.key, ConsistentRead: true }));
    return out.Item!;
  }

  /** An update of this version's item that only this run's lease may make. */
  private mine(): ItemUpdate {
    return new ItemUpdate(this.key).condition('#holder = :me', { ':me': s(this.lease.holder) });
  }

  private async update(u: ItemUpdate): Promise<void> {
    await this.client.send(new UpdateItemCommand(u.build(this.table))).catch((err) => { throw this.lost(err); });
  }

  /** A refused conditional write means the lease (or the attempt) is no longer this run's. */
  private lost(err: unknown): unknown {
    const refused = err instanceof ConditionalCheckFailedException
      || (err instanceof TransactionCanceledException && (err.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'));
    return refused || this.renewal.lost()
      ? new LeaseLostError(`the ledger record of s3://${this.ref.bucket}/${this.ref.key} version ${this.ref.version} (file id ${this.fileId})`)
      : err;
  }
}

