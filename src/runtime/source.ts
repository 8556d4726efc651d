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
}

export interface FileSource {
  /** Known before anything is read, so even a failure to read can be reported. */
  readonly bucket: string;
  readonly key: string;
  /** A readable name for messages (`s3://bucket/key` or a path). */
  readonly description: string;
  /** Identifies the exact version to process; called before the file is claimed. */
  resolve(): Promise<FileRef>;
  /** Size in bytes of that version. Throws when it is gone or has changed. */
  size(): Promise<number>;
  /** A fresh stream of that version each call (sinks may read the file more than once). */
  open(): Promise<Readable>;
}

export function filenameOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash >= 0 ? key.slice(slash + 1) : key;
}
