/**
 * Where the bytes of a file come from: an S3 object version in the processors,
 * a local file in the CLI.
 */
import { Readable } from 'stream';

/** How `FileRef.version` was derived. */
export type VersionKind = 'version-id' | 'etag' | 'sha256';

/** Identity of one version of one input file, the key of `file_metadata`. */
export interface FileRef {
  readonly bucket: string;
  readonly key: string;
  readonly version: string;
  readonly versionKind: VersionKind;
  /** Last path segment of the key. */
  readonly filename: string;
  /**
   * The S3 event's `sequencer` (hex): orders the events of one key. Absent
   * for hand-made events and local files.
   */
  readonly sequencer?: string;
}

/** What is known about the version once it has been looked at. */
export interface FileStat {
  readonly sizeBytes: number;
  /** When this version was written (S3 LastModified, 1 s resolution); absent for local files. */
  readonly modifiedAt?: Date;
}

/** Why the version named by an event cannot be read, ever again. */
export type GoneReason = 'gone' | 'superseded';

/**
 * The version named by the event no longer exists: deleted (`gone`) or, in a
 * bucket without versioning, overwritten by a newer upload (`superseded`).
 * Final: retrying cannot bring it back, and the newer upload has its own event.
 */
export class ObjectGoneError extends Error {
  constructor(message: string, public readonly reason: GoneReason) {
    super(message);
    this.name = 'ObjectGoneError';
  }
}

export interface OpenOptions {
  /**
   * File offset of the first byte to read (S3: a ranged GET).
   *
   * @default 0
   */
  readonly start?: number;
}

export interface FileSource {
  /** Known before anything is read, so even a failure to read can be reported. */
  readonly bucket: string;
  readonly key: string;
  /** A readable name for messages (`s3://bucket/key` or a path). */
  readonly description: string;
  /** Identifies the exact version to process; called before the file is claimed. */
  resolve(): Promise<FileRef>;
  /** Size and age of that version. Throws ObjectGoneError when it is gone or replaced. */
  stat(): Promise<FileStat>;
  /**
   * A fresh stream of that version each call (sinks may read the file more
   * than once); from byte `start` on when given (a resumed chunked load).
   */
  open(options?: OpenOptions): Promise<Readable>;
}

export function filenameOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash >= 0 ? key.slice(slash + 1) : key;
}
