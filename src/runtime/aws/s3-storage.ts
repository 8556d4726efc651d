/** ResultStorage on S3: results, rejects and reports in the output bucket, backups in the backup bucket. */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { copyObjectVersion, CopyOptions } from './s3-copy';
import { FileRef, ObjectGoneError } from '../contract/source';
import { backupKey, rejectsKey, reportKey, ResultDocument, resultKey, ResultStorage } from '../contract/storage';
import { s3ResultReader } from '../report/result-readers';

export interface S3StorageProps {
  readonly s3: S3Client;
  readonly outputBucket: string;
  readonly backupBucket: string;
  readonly copy?: CopyOptions;
}

export class S3Storage implements ResultStorage {
  public readonly readResult: (key: string) => Promise<ResultDocument | undefined>;

  constructor(private readonly props: S3StorageProps) {
    this.readResult = s3ResultReader(props.s3, props.outputBucket) as (key: string) => Promise<ResultDocument | undefined>;
  }

  async writeResult(file: FileRef, result: ResultDocument): Promise<string> {
    return this.put(resultKey(file.key), JSON.stringify(result, null, 2), 'application/json');
  }

  async writeRejects(file: FileRef, csv: string): Promise<string> {
    return this.put(rejectsKey(file.key), csv, 'text/csv; charset=utf-8');
  }

  async writeReport(name: string, report: object): Promise<string> {
    return this.put(reportKey(name), JSON.stringify(report, null, 2), 'application/json');
  }

  async deleteRejects(file: FileRef): Promise<void> {
    await this.props.s3.send(new DeleteObjectCommand({ Bucket: this.props.outputBucket, Key: rejectsKey(file.key) }));
  }

  async backup(file: FileRef, sizeBytes: number, _open: unknown, at: Date): Promise<string> {
    const key = backupKey(file.key, at);
    try {
      await copyObjectVersion(this.props.s3, {
        bucket: file.bucket,
        key: file.key,
        versionId: file.versionKind === 'version-id' ? file.version : undefined,
        eTag: file.versionKind === 'etag' ? file.version : undefined,
      }, this.props.backupBucket, key, sizeBytes, this.props.copy);
    } catch (err) {
      throw sourceGone(err, file) ?? err;
    }
    return `s3://${this.props.backupBucket}/${key}`;
  }

  private async put(key: string, body: string, contentType: string): Promise<string> {
    await this.props.s3.send(new PutObjectCommand({
      Bucket: this.props.outputBucket, Key: key, Body: body, ContentType: contentType,
    }));
    return `s3://${this.props.outputBucket}/${key}`;
  }
}

/**
 * The input version deleted (or, without versioning, overwritten) after it
 * was read and before its backup copy: the same final outcome as when that
 * happens before the read, not a failure to retry. A missing bucket stays an
 * error of the pipeline.
 */
function sourceGone(err: unknown, file: FileRef): ObjectGoneError | undefined {
  const name = (err as { name?: string }).name;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const where = `s3://${file.bucket}/${file.key}`;
  const which = file.versionKind === 'version-id' ? `version ${file.version}` : `ETag "${file.version}"`;
  if (name === 'NoSuchVersion' || name === 'NoSuchKey') {
    return new ObjectGoneError(`Input object ${where} (${which}) was deleted while it was being processed; nothing of it was kept`, 'gone');
  }
  if (status === 412 || name === 'PreconditionFailed') {
    return new ObjectGoneError(`Input object ${where} was overwritten while it was being processed (${which} is gone); nothing of it was kept, the new upload is processed by its own event`, 'superseded');
  }
  return undefined;
}
