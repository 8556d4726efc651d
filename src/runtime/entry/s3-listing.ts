/** Listing a prefix of a bucket for a prefix run (../core/prefix-run.ts). */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { OwnOutput } from './handle-event';
import { S3Source } from '../aws/s3-source';
import { PrefixRunDeps } from '../core/prefix-run';

/** Every key under `prefix`, in S3's order (UTF-8 binary, i.e. key order), all pages. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string, signal?: AbortSignal): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: signal });
    keys.push(...(page.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** The S3 side of a prefix run: listing, the current version of each key, the pipeline's own outputs. */
export function s3PrefixAccess(
  s3: S3Client, ownOutputs: readonly OwnOutput[] | undefined,
): Pick<PrefixRunDeps, 'listKeys' | 'sourceFor' | 'isOwnOutput'> {
  return {
    listKeys: (bucket, prefix, signal) => listKeys(s3, bucket, prefix, signal),
    sourceFor: (bucket, key) => new S3Source(s3, { bucket, key }),
    isOwnOutput: (bucket, key) => ownOutputs?.some((o) => o.bucket === bucket && key.startsWith(o.prefix)) ?? false,
  };
}
