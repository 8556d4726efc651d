/**
 * One S3 object version as a FileSource. Every read names the version (or,
 * without versioning, requires the ETag from the event), so an overwrite
 * between the event and the read can never make us process other bytes than
 * the ones we claimed. A version that is no longer there is an
 * ObjectGoneError: `gone` when deleted (404), `superseded` when an
 * unversioned object was overwritten (412 on the ETag condition).
 */
import { Readable } from 'stream';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FileRef, filenameOf, FileSource, FileStat, ObjectGoneError, OpenOptions } from '../contract/source';

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /** Bare ETag (no quotes). */
  readonly eTag?: string;
  /** The event's sequencer, which orders the events of one key. */
  readonly sequencer?: string;
}

export class S3Source implements FileSource {
  readonly bucket: string;
  readonly key: string;
  readonly description: string;
  private ref?: FileRef;
  private stats?: FileStat;

  constructor(private readonly s3: S3Client, private readonly location: S3Location) {
    this.bucket = location.bucket;
    this.key = location.key;
    this.description = `s3://${location.bucket}/${location.key}`;
  }

  async resolve(): Promise<FileRef> {
    if (this.ref) return this.ref;
    let { versionId, eTag } = this.location;
    if (!versionId && !eTag) {
      // Hand-made events may lack both; the current object is then the one meant.
      const head = await this.head({});
      versionId = head.VersionId && head.VersionId !== 'null' ? head.VersionId : undefined;
      eTag = head.ETag?.replace(/"/g, '');
    }
    const base = {
      bucket: this.location.bucket,
      key: this.location.key,
      filename: filenameOf(this.location.key),
      ...(this.location.sequencer ? { sequencer: this.location.sequencer } : {}),
    };
    this.ref = versionId
      ? { ...base, version: versionId, versionKind: 'version-id' }
      : { ...base, version: eTag ?? '', versionKind: 'etag' };
    return this.ref;
  }

  async stat(): Promise<FileStat> {
    if (!this.stats) {
      const head = await this.head(await this.selector());
      this.stats = { sizeBytes: head.ContentLength ?? 0, modifiedAt: head.LastModified };
    }
    return this.stats;
  }

  async open(options: OpenOptions = {}): Promise<Readable> {
    const selector = await this.selector();
    const range = options.start ? { Range: `bytes=${options.start}-` } : {};
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.location.key, ...selector, ...range }));
      return out.Body as Readable;
    } catch (err) {
      throw this.explain(err, selector);
    }
  }

  private async selector(): Promise<{ VersionId?: string; IfMatch?: string }> {
    const ref = await this.resolve();
    return ref.versionKind === 'version-id' ? { VersionId: ref.version } : { IfMatch: `"${ref.version}"` };
  }

  private async head(selector: { VersionId?: string; IfMatch?: string }) {
    try {
      return await this.s3.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.location.key, ...selector }));
    } catch (err) {
      throw this.explain(err, selector);
    }
  }

  private explain(err: unknown, selector: { VersionId?: string; IfMatch?: string }): unknown {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const which = selector.VersionId ? `version ${selector.VersionId}` : selector.IfMatch ? `ETag ${selector.IfMatch}` : 'current version';
    if (status === 404 || (err as Error).name === 'NoSuchKey' || (err as Error).name === 'NoSuchVersion') {
      return new ObjectGoneError(`Input object ${this.description} (${which}) does not exist: it was deleted, or the event names a wrong key`, 'gone');
    }
    if (status === 412) {
      return new ObjectGoneError(`Input object ${this.description} was overwritten since the event (${which} is gone); the new upload is processed by its own event`, 'superseded');
    }
    return err;
  }
}
