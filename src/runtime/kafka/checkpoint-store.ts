/**
 * How far a file version is delivered to Kafka, kept in Kafka itself so the
 * sink is idempotent whatever happens to the processor's own transaction.
 *
 * Every checkpoint is written in the Kafka transaction of the rows it counts
 * (at least once: in a transaction of its own, after the rows are
 * acknowledged), twice:
 * - as a record in the compacted checkpoint topic, key `bucket/key@version`,
 *   for operators and consumers (the latest record of a key is the file's
 *   state);
 * - as the committed offset of the file version's own consumer group
 *   (`<checkpointGroupId>.<hash>`) on partition 0 of that topic, the
 *   checkpoint as the offset's metadata. This is what the sink reads back:
 *   one OffsetFetch, however large the topic, without joining a group (a
 *   shared group would hand its partitions to one of the concurrent
 *   processors only). Transactional offsets become visible when, and only
 *   when, their transaction commits: the read_committed view.
 *
 * A committed group offset is kept while the topic exists and, once the
 * group has no members (always, here), for the broker's
 * `offsets.retention.minutes` (7 days by default) after the last commit: a
 * retry of a delivered file version within that time sends nothing again.
 */
import { createHash } from 'crypto';
import type { KafkaClient, KafkaTransaction, OutgoingMessage } from './client';
import type { FileContext } from '../contract/sink-api';

/** Delivery state of one file version. */
export interface KafkaCheckpoint {
  /** Physical line of the file the next undelivered row starts on. */
  readonly nextLine: number;
  /** Rows delivered, from the start of the file. */
  readonly rows: number;
  /** The file's last row is delivered. */
  readonly done: boolean;
}

/** Names the sink uses for one file version. */
export interface FileKeys {
  /** `bucket/key@version`: the checkpoint record's key and the prefix of the rows' default keys. */
  readonly fileVersion: string;
  /** `<transactionalIdPrefix><hash>`: fences an earlier producer of the same file version. */
  readonly transactionalId: string;
  /** `<checkpointGroupId>.<hash>`: the group whose committed offset is the checkpoint. */
  readonly groupId: string;
  /** First 32 bits of the hash, to choose the rows' partition. */
  readonly spread: number;
}

const FORMAT = 1;
const OFFSET_PARTITION = 0;

/** The names of one file version: its checkpoint key, transactional id and checkpoint group. */
export function fileKeysOf(file: Pick<FileContext, 'bucket' | 'key' | 'version'>, transactionalIdPrefix: string, checkpointGroupId: string): FileKeys {
  const fileVersion = `${file.bucket}/${file.key}@${file.version}`;
  const hash = createHash('sha256').update(fileVersion).digest('hex').slice(0, 32);
  return {
    fileVersion,
    transactionalId: `${transactionalIdPrefix}${hash}`,
    groupId: `${checkpointGroupId}.${hash}`,
    spread: parseInt(hash.slice(0, 8), 16),
  };
}

function encode(keys: FileKeys, cp: KafkaCheckpoint): string {
  return JSON.stringify({ v: FORMAT, file: keys.fileVersion, nextLine: cp.nextLine, rows: cp.rows, done: cp.done, at: new Date().toISOString() });
}

/** The checkpoint record of the compacted topic. */
export function checkpointRecord(keys: FileKeys, cp: KafkaCheckpoint): OutgoingMessage {
  return { key: keys.fileVersion, value: encode(keys, cp) };
}

/** Reads the last committed checkpoint of the file version; undefined when nothing was delivered. */
export async function readCheckpoint(client: KafkaClient, keys: FileKeys, topic: string): Promise<KafkaCheckpoint | undefined> {
  const metadata = await client.readOffset(keys.groupId, topic, OFFSET_PARTITION);
  if (metadata === undefined) return undefined;
  let parsed: { v?: unknown; file?: unknown; nextLine?: unknown; rows?: unknown; done?: unknown };
  try {
    parsed = JSON.parse(metadata);
  } catch {
    throw new Error(`The Kafka checkpoint of ${keys.fileVersion} (group ${keys.groupId}) is not JSON: ${metadata.slice(0, 200)}`);
  }
  if (parsed.v !== FORMAT || parsed.file !== keys.fileVersion || typeof parsed.nextLine !== 'number' || typeof parsed.rows !== 'number' || typeof parsed.done !== 'boolean') {
    throw new Error(`The Kafka checkpoint of ${keys.fileVersion} (group ${keys.groupId}) is not one this sink wrote: ${metadata.slice(0, 200)}`);
  }
  return { nextLine: parsed.nextLine, rows: parsed.rows, done: parsed.done };
}

/** Adds the checkpoint (record and group offset) to the transaction. */
export async function addCheckpoint(tx: KafkaTransaction, keys: FileKeys, topic: string, cp: KafkaCheckpoint): Promise<void> {
  await tx.send({ topic, gzip: false }, [checkpointRecord(keys, cp)]);
  await tx.saveOffset({ groupId: keys.groupId, topic, partition: OFFSET_PARTITION, offset: cp.rows, metadata: encode(keys, cp) });
}
