/**
 * Reading S3 event notifications (the shape S3 sends to Lambda directly).
 */

/** The longest key S3 accepts, in bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** One object named by an S3 event record, with its key already decoded. */
export interface S3ObjectEvent {
  readonly eventName: string;
  readonly bucket: string;
  readonly key: string;
  /** S3 version id; absent when the bucket is not versioned. */
  readonly versionId?: string;
  /** ETag without quotes, as S3 puts it in events. */
  readonly eTag?: string;
  readonly size?: number;
  /** Orders the events of one key (hex, compare with compareSequencers). */
  readonly sequencer?: string;
}

export type ParsedS3Event =
  | { readonly kind: 'test' }
  | { readonly kind: 'records'; readonly records: S3ObjectEvent[] };

interface RawRecord {
  eventSource?: string;
  eventName?: string;
  s3?: {
    bucket?: { name?: string };
    object?: { key?: string; versionId?: string; eTag?: string; size?: number; sequencer?: string };
  };
}

/**
 * S3 form-encodes keys in events (`+` for a space, `%XX` for the rest), so
 * `my file.csv` arrives as `my+file.csv` and a literal `+` as `%2B`.
 */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new Error(`S3 event key is not valid URL encoding: ${JSON.stringify(encoded)}`);
  }
}

function isTestEvent(event: Record<string, unknown>): boolean {
  return event.Event === 's3:TestEvent';
}

/** Throws when the event is neither an S3 test event nor S3 records. */
export function parseS3Event(event: unknown): ParsedS3Event {
  if (typeof event !== 'object' || event === null) {
    throw new Error(`Expected an S3 event notification, got ${JSON.stringify(event)}`);
  }
  const obj = event as Record<string, unknown>;
  if (isTestEvent(obj)) return { kind: 'test' };
  const records = obj.Records;
  if (!Array.isArray(records) || records.length === 0) {
    throw new Error('Expected an S3 event notification with Records, got an event without any');
  }
  return { kind: 'records', records: records.map((r, i) => parseRecord(r as RawRecord, i)) };
}

function parseRecord(record: RawRecord, index: number): S3ObjectEvent {
  const bucket = record.s3?.bucket?.name;
  const key = record.s3?.object?.key;
  if (record.eventSource !== 'aws:s3' || !bucket || key === undefined) {
    throw new Error(`Record ${index} is not an S3 record with a bucket and an object key`);
  }
  const decoded = decodeS3Key(key);
  const bytes = Buffer.byteLength(decoded, 'utf8');
  // S3 itself refuses longer keys (KeyTooLongError): no upload can have sent this, and reading it would fail on every retry.
  if (bytes > MAX_KEY_BYTES) throw new Error(`Record ${index} has a key of ${bytes} bytes; S3 keys are at most ${MAX_KEY_BYTES} bytes`);
  const object = record.s3!.object!;
  // Buckets with versioning suspended report the literal version "null" for
  // every upload, which would make new uploads look like duplicates.
  const versionId = object.versionId && object.versionId !== 'null' ? object.versionId : undefined;
  return {
    eventName: record.eventName ?? '',
    bucket,
    key: decoded,
    versionId,
    eTag: object.eTag ? object.eTag.replace(/"/g, '') : undefined,
    size: object.size,
    sequencer: typeof object.sequencer === 'string' && /^[0-9A-Fa-f]+$/.test(object.sequencer) ? object.sequencer : undefined,
  };
}

/** Only uploads are processed; deletions and restores are not new data. */
export function isObjectCreated(record: S3ObjectEvent): boolean {
  return record.eventName.startsWith('ObjectCreated:');
}
