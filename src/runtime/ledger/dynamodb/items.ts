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

/** A chunk record's page: records larger than one item (400 KB) are split over several. */
export function chunkKey(ref: { bucket: string; key: string }, fileId: number, firstLine: number, page = 0): Item {
  return { pk: { S: objectPk(ref) }, sk: { S: `${chunkPrefix(fileId)}${pad(firstLine)}#${String(page).padStart(3, '0')}` } };
}

/** Bytes of a chunk record's JSON per item. */
export const CHUNK_PAGE_BYTES = 300 * 1024;

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

/** The items of one chunk record: its JSON in pages of CHUNK_PAGE_BYTES (split between characters, never inside one). */
export function chunkItems(ref: { bucket: string; key: string }, fileId: number, gen: string, chunk: ChunkRecord, now: Date): Item[] {
  const json = JSON.stringify(chunk);
  const pages: string[] = [];
  let at = 0;
  while (at < json.length || pages.length === 0) {
    // At most CHUNK_PAGE_BYTES of UTF-8 (a character is at most 3 bytes per UTF-16 unit), not splitting a surrogate pair.
    let end = Math.min(json.length, at + Math.floor(CHUNK_PAGE_BYTES / 3));
    if (end < json.length && /[\uD800-\uDBFF]/.test(json[end - 1])) end--;
    pages.push(json.slice(at, end));
    at = end;
  }
  const expiresAt = n(Math.floor(now.getTime() / 1000) + CHUNK_RECORD_TTL_S);
  return pages.map((body, page) => ({
    ...chunkKey(ref, fileId, chunk.firstLine, page),
    gen: s(gen),
    firstLine: n(chunk.firstLine),
    page: n(page),
    pages: n(pages.length),
    body: s(body),
    expiresAt,
  }));
}

/** The chunk records of `items` (the pages of one generation), in file order; a record missing a page is an error. */
export function chunksOf(items: readonly Item[]): ChunkRecord[] {
  const byLine = new Map<number, Item[]>();
  for (const item of items) {
    const line = num(item, 'firstLine')!;
    byLine.set(line, [...(byLine.get(line) ?? []), item]);
  }
  return [...byLine.entries()].sort(([a], [b]) => a - b).map(([line, pages]) => {
    pages.sort((a, b) => num(a, 'page')! - num(b, 'page')!);
    if (pages.length !== num(pages[0], 'pages')) {
      throw new Error(`internal error: the DynamoDB ledger holds ${pages.length} of the ${num(pages[0], 'pages')} pages of the chunk record from line ${line}`);
    }
    return JSON.parse(pages.map((p) => str(p, 'body')).join('')) as ChunkRecord;
  });
}
