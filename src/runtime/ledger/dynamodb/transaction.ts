/**
 * A ledger transaction on DynamoDB: the writes are collected and committed
 * as one TransactWriteItems (all or nothing), every one conditional on this
 * run still holding the version's lease; reads see the transaction's own
 * writes. A checkpoint never moves backwards within an attempt, and only
 * the attempt that holds the lease (its number checked too) writes it.
 */
import { randomUUID } from 'crypto';
import { ConditionCheck, DynamoDBClient, Put, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { ItemUpdate } from './item-update';
import { chunkItems, Item, n, s } from './items';
import type { VersionIndex } from './versions';
import { Checkpoint, ChunkRecord, LedgerTransaction } from '../../contract/ledger';

/**
 * A chunk record is at most this big: it is written in the chunk's
 * transaction, and a TransactWriteItems carries at most 4 MB.
 */
const MAX_CHUNK_RECORD_BYTES = 3 * 1024 * 1024;

/** What the transaction needs of the claim it runs in. */
export interface ClaimState {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly fileId: number;
  readonly ref: { bucket: string; key: string };
  readonly versionKey: Item;
  readonly holder: string;
  /** The attempt's number (set once the attempt started). */
  readonly attempt?: number;
  /** The generation of the committed chunk records (updated on commit). */
  gen?: string;
  now(): Date;
  readCheckpoint(): Promise<Checkpoint | undefined>;
  readChunks(gen: string): Promise<ChunkRecord[]>;
  versions(): Promise<VersionIndex>;
}

export class DynamoTransaction implements LedgerTransaction {
  public readonly client = undefined;
  private readonly own: ItemUpdate;
  private readonly others = new Map<number, ItemUpdate>();
  private readonly puts: Put[] = [];
  private readonly savedChunks: ChunkRecord[] = [];
  private cleared = false;
  private newGen?: string;
  private savedCheckpoint?: Checkpoint;

  constructor(private readonly claim: ClaimState) {
    this.own = new ItemUpdate(claim.versionKey).condition('#holder = :me', { ':me': s(claim.holder) });
  }

  async lockRecord(): Promise<void> {
    // The lease already keeps every other run off the record; each write checks it.
  }

  async loadedEarlierVersions(): Promise<number[]> {
    return (await this.claim.versions()).ids((v) => v.status === 'succeeded' && v.id !== this.claim.fileId);
  }

  async partlyLoadedVersions(): Promise<number[]> {
    return (await this.claim.versions()).ids((v) => v.hasCheckpoint && v.id !== this.claim.fileId
      && v.status !== 'succeeded' && v.status !== 'replaced');
  }

  async readCheckpoint(): Promise<Checkpoint | undefined> {
    if (this.savedCheckpoint) return this.savedCheckpoint;
    return this.cleared ? undefined : this.claim.readCheckpoint();
  }

  async saveCheckpoint(c: Checkpoint): Promise<void> {
    this.attemptGuard();
    // A zombie attempt cannot move the checkpoint backwards (unless this transaction started the file over).
    if (!this.cleared) this.own.condition('attribute_not_exists(#cpOffset) OR #cpOffset <= :cpOffset', { ':cpOffset': n(c.byteOffset) });
    this.own.set('checkpoint', s(JSON.stringify(c))).set('cpOffset', n(c.byteOffset));
    this.savedCheckpoint = c;
  }

  async clearCheckpoints(fileIds: readonly number[]): Promise<void> {
    for (const id of fileIds) {
      const update = id === this.claim.fileId ? this.own : await this.other(id);
      // Chunk records of the old generation are left to expire (`expiresAt`); none is read again.
      update.remove('checkpoint', 'cpOffset').set('gen', s(randomUUID()));
      if (id === this.claim.fileId) {
        this.cleared = true;
        this.newGen = undefined;
        this.savedCheckpoint = undefined;
        this.savedChunks.length = 0;
      }
    }
  }

  async saveChunk(chunk: ChunkRecord): Promise<void> {
    const summaryBytes = Buffer.byteLength(JSON.stringify(chunk.summaries));
    if (summaryBytes > MAX_CHUNK_RECORD_BYTES) {
      throw new Error(`the sinks' summary of the chunk from line ${chunk.firstLine} is ${summaryBytes} bytes, more than the DynamoDB ledger `
        + `keeps per chunk (${MAX_CHUNK_RECORD_BYTES}): lower the report's maxGroups or checkpointEvery, or use Ledger.postgres()`);
    }
    // Too many rejected rows to list as well: they are counted, and the rejects file says how many are not listed.
    const kept = summaryBytes + Buffer.byteLength(chunk.rejectsCsv) > MAX_CHUNK_RECORD_BYTES ? { ...chunk, rejectsCsv: '', listed: 0 } : chunk;
    for (const item of chunkItems(this.claim.ref, this.claim.fileId, this.generation(), kept, this.claim.now())) {
      this.puts.push({ TableName: this.claim.table, Item: item });
    }
    this.savedChunks.push(kept);
  }

  async readChunks(): Promise<ChunkRecord[]> {
    const gen = this.newGen ?? (this.cleared ? undefined : this.claim.gen);
    const committed = gen && gen === this.claim.gen ? await this.claim.readChunks(gen) : [];
    const saved = new Set(this.savedChunks.map((c) => c.firstLine));
    return [...committed.filter((c) => !saved.has(c.firstLine)), ...this.savedChunks].sort((a, b) => a.firstLine - b.firstLine);
  }

  async markReplaced(fileIds: readonly number[]): Promise<void> {
    for (const id of fileIds) (await this.other(id)).set('status', s('replaced')).set('replacedBy', n(this.claim.fileId));
  }

  async markSucceeded(rows: number, rowsRejected: number, at: Date, resumedFrom?: number): Promise<void> {
    this.attemptGuard();
    this.own.set('status', s('succeeded')).set('rowsCount', n(rows)).set('rowsRejected', n(rowsRejected))
      .set('finishedAt', s(at.toISOString())).setOrRemove('resumedFrom', resumedFrom === undefined ? undefined : n(resumedFrom))
      .remove('error', 'errorKind');
  }

  /** Marks the attempt failed in this transaction. */
  markFailed(error: string, kind: string, at: Date): void {
    this.own.set('status', s('failed')).set('error', s(error)).set('errorKind', s(kind)).set('finishedAt', s(at.toISOString()))
      .remove('rowsCount', 'rowsRejected');
  }

  /** Commits every write; throws when the lease (or the attempt) is no longer this run's. */
  async commit(): Promise<void> {
    const items = [
      ...(this.own.empty
        ? [{ ConditionCheck: this.conditionCheck() }]
        : [{ Update: this.own.build(this.claim.table) }]),
      ...[...this.others.values()].map((u) => ({ Update: u.build(this.claim.table) })),
      ...this.puts.map((p) => ({ Put: p })),
    ];
    if (this.own.empty && items.length === 1) return;
    await this.claim.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    if (this.cleared || this.newGen) this.claim.gen = this.newGen ?? undefined;
  }

  private conditionCheck(): ConditionCheck {
    return {
      TableName: this.claim.table,
      Key: this.claim.versionKey,
      ConditionExpression: '#holder = :me',
      ExpressionAttributeNames: { '#holder': 'holder' },
      ExpressionAttributeValues: { ':me': s(this.claim.holder) },
    };
  }

  private attemptGuard(): void {
    if (this.claim.attempt !== undefined) this.own.condition('#attempts = :attempt', { ':attempt': n(this.claim.attempt) });
  }

  /** The generation this transaction's chunk records belong to (a new one after a clear, or for the first chunk). */
  private generation(): string {
    if (this.newGen) return this.newGen;
    if (!this.cleared && this.claim.gen) return this.claim.gen;
    this.newGen = randomUUID();
    this.own.set('gen', s(this.newGen));
    return this.newGen;
  }

  private async other(id: number): Promise<ItemUpdate> {
    let update = this.others.get(id);
    if (!update) {
      const key = (await this.claim.versions()).keyOf(id);
      update = new ItemUpdate(key);
      this.others.set(id, update);
    }
    return update;
  }
}

