/**
 * Server-side copy of one exact object version. CopyObject stops at 5 GiB;
 * beyond that the copy is a multipart upload of UploadPartCopy ranges.
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';

export interface CopySourceRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /** Quoted or bare ETag the source must still have (unversioned buckets). */
  readonly eTag?: string;
}

export interface CopyOptions {
  /** Objects larger than this use multipart copy. */
  readonly multipartThresholdBytes?: number;
  readonly partSizeBytes?: number;
}

export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
const DEFAULT_PART_BYTES = 512 * 1024 ** 2;
const MAX_PARTS = 10_000;

export function copySourceHeader(src: CopySourceRef): string {
  const path = `${src.bucket}/${src.key.split('/').map(encodeURIComponent).join('/')}`;
  return src.versionId ? `${path}?versionId=${encodeURIComponent(src.versionId)}` : path;
}

const quoted = (eTag: string) => `"${eTag.replace(/"/g, '')}"`;

export async function copyObjectVersion(
  s3: S3Client, src: CopySourceRef, destBucket: string, destKey: string, sizeBytes: number, options: CopyOptions = {},
): Promise<void> {
  const CopySource = copySourceHeader(src);
  const CopySourceIfMatch = src.eTag ? quoted(src.eTag) : undefined;
  if (sizeBytes <= (options.multipartThresholdBytes ?? MAX_SINGLE_COPY_BYTES)) {
    await s3.send(new CopyObjectCommand({ Bucket: destBucket, Key: destKey, CopySource, CopySourceIfMatch }));
    return;
  }
  const partSize = Math.max(options.partSizeBytes ?? DEFAULT_PART_BYTES, Math.ceil(sizeBytes / MAX_PARTS));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: destBucket, Key: destKey }));
  try {
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let start = 0, n = 1; start < sizeBytes; start += partSize, n++) {
      const end = Math.min(start + partSize, sizeBytes) - 1;
      const out = await s3.send(new UploadPartCopyCommand({
        Bucket: destBucket,
        Key: destKey,
        UploadId,
        PartNumber: n,
        CopySource,
        CopySourceIfMatch,
        CopySourceRange: `bytes=${start}-${end}`,
      }));
      parts.push({ ETag: out.CopyPartResult!.ETag!, PartNumber: n });
    }
    await s3.send(new CompleteMultipartUploadCommand({
      Bucket: destBucket, Key: destKey, UploadId, MultipartUpload: { Parts: parts },
    }));
  } catch (err) {
    // An abandoned upload is billed until a lifecycle rule removes it.
    await s3.send(new AbortMultipartUploadCommand({ Bucket: destBucket, Key: destKey, UploadId })).catch(() => undefined);
    throw err;
  }
}
