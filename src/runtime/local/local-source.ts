/**
 * A local file as a FileSource (CLI). With no S3 version, the version is the
 * SHA-256 of the content: the same bytes are the same file, whatever its path.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { FileRef, FileSource, FileStat, OpenOptions } from '../contract/source';

export const LOCAL_BUCKET = 'local';

export class LocalFileSource implements FileSource {
  readonly bucket = LOCAL_BUCKET;
  readonly key: string;
  readonly description: string;
  private ref?: FileRef;

  constructor(private readonly filePath: string) {
    this.key = path.basename(filePath);
    this.description = filePath;
  }

  async resolve(): Promise<FileRef> {
    if (!this.ref) {
      const hash = createHash('sha256');
      await pipeline(fs.createReadStream(this.filePath), hash);
      this.ref = { bucket: LOCAL_BUCKET, key: this.key, filename: this.key, version: hash.digest('hex'), versionKind: 'sha256' };
    }
    return this.ref;
  }

  /** No modification time: a file on a laptop has no upload order, so each run counts as the newest. */
  async stat(): Promise<FileStat> {
    return { sizeBytes: (await fs.promises.stat(this.filePath)).size };
  }

  async open(options: OpenOptions = {}): Promise<Readable> {
    return fs.createReadStream(this.filePath, { start: options.start ?? 0 });
  }
}
