/**
 * The DynamoDB ledger's items. One table, `pk` (partition) and `sk` (sort),
 * every item of an S3 object under one partition, so one Query sees every
 * version of a key:
 *
 * | item              | pk                      | sk                         |
 * |-------------------|-------------------------|----------------------------|
 * | file version      | `f#<bucket>/<key>`      | `v#<version>`              |
 * | the key's hold    | `f#<bucket>/<key>`      | `hold`                     |
 * | a committed chunk | `f#<bucket>/<key>`      | `c#<file id>#<first line>` |
 * | the id counter    | `#counter`              | `#counter`                 |
 *
 * File ids are numbers from the counter (sinks and messages name files by
 * them, as they do `file_metadata.id`). A version item's attributes mirror
 * `file_metadata`'s columns; `holder`/`heldUntil` are the lease, `checkpoint`
 * the JSON of the checkpoint with its byte offset also in `cpOffset` (so a
 * write can refuse to move it backwards), and `gen` the generation of the
 * chunk records that belong to the current checkpoint (a load that starts
 * over takes a new one instead of deleting the old records, which expire).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { Checkpoint, ChunkRecord, ErrorKind, FileRow, FileStatus } from '../../contract/ledger';
import { FileRef } from '../../contract/source';

export type Item = Record<string, AttributeValue>;

export const COUNTER_KEY: Item = { pk: { S: '#counter' }, sk: { S: '#counter' } };

/** How long chunk records of an abandoned generation are kept before DynamoDB's TTL removes them (`expiresAt`). */
export const CHUNK_RECORD_TTL_S = 30 * 24 * 3600;

export function objectPk(ref: { bucket: string; key: string }): string {
  return `f#${ref.bucket}/${ref.key}`;
}

export function versionKey(ref: FileRef): Item {
  return { pk: { S: objectPk(ref) }, sk: { S: `v#${ref.version}` } };
}

export function holdKey(ref: { bucket: string; key: string }): Item {
  return { pk: { S: objectPk(ref) }, sk: { S: 'hold' } };
}

const pad = (n: number) => String(n).padStart(16, '0');

export function chunkPrefix(fileId: number): string {
  return `c#${pad(fileId)}#`;
}

export function chunkKey(ref: { bucket: string; key: string }, fileId: number, firstLine: number): Item {
  return { pk: { S: objectPk(ref) }, sk: { S: `${chunkPrefix(fileId)}${pad(firstLine)}` } };
}

export const s = (v: string): AttributeValue => ({ S: v });
export const n = (v: number): AttributeValue => ({ N: String(v) });
const str = (item: Item, name: string): string | null => item[name]?.S ?? null;
const num = (item: Item, name: string): number | null => (item[name]?.N !== undefined ? Number(item[name].N) : null);
const date = (item: Item, name: string): Date | null => (item[name]?.S ? new Date(item[name].S!) : null);

export function newVersionItem(ref: FileRef, id: number): Item {
  return {
    ...versionKey(ref),
    id: n(id),
    bucket: s(ref.bucket),
    key: s(ref.key),
    version: s(ref.version),
    versionKind: s(ref.versionKind),
    filename: s(ref.filename),
    status: s('processing'),
    attempts: n(0),
    ...(ref.sequencer ? { sequencer: s(ref.sequencer) } : {}),
    createdAt: s(new Date().toISOString()),
  };
}

export function fileRowOf(item: Item): FileRow {
  return {
    id: num(item, 'id')!,
    status: str(item, 'status') as FileStatus,
    rowsCount: num(item, 'rowsCount'),
    rowsRejected: num(item, 'rowsRejected'),
    attempts: num(item, 'attempts') ?? 0,
    error: str(item, 'error'),
    errorKind: str(item, 'errorKind') as ErrorKind | null,
    startedAt: date(item, 'startedAt'),
    finishedAt: date(item, 'finishedAt'),
    notifiedAt: date(item, 'notifiedAt'),
    sequencer: str(item, 'sequencer'),
    objectModifiedAt: date(item, 'objectModifiedAt'),
  };
}

export function checkpointOf(item: Item | undefined): Checkpoint | undefined {
  const json = item?.checkpoint?.S;
  return json ? JSON.parse(json) as Checkpoint : undefined;
}

export function chunkItem(ref: { bucket: string; key: string }, fileId: number, gen: string, chunk: ChunkRecord, now: Date): Item {
  return {
    ...chunkKey(ref, fileId, chunk.firstLine),
    gen: s(gen),
    firstLine: n(chunk.firstLine),
    listed: n(chunk.listed),
    rejectsCsv: s(chunk.rejectsCsv),
    summaries: s(JSON.stringify(chunk.summaries)),
    expiresAt: n(Math.floor(now.getTime() / 1000) + CHUNK_RECORD_TTL_S),
  };
}

export function chunkOf(item: Item): ChunkRecord {
  return {
    firstLine: num(item, 'firstLine')!,
    listed: num(item, 'listed') ?? 0,
    rejectsCsv: str(item, 'rejectsCsv') ?? '',
    summaries: JSON.parse(str(item, 'summaries') ?? '[]'),
  };
}
