/**
 * Reading a file's result document back (`results/<key>.json`), for the run
 * report's aggregates of duplicates (./run-aggregates.ts): from the output
 * bucket (Lambda, containers, CLI against S3) or the CLI's output directory.
 */
import * as fs from 'fs';
import * as path from 'path';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ResultReader, StoredResult } from './run-aggregates';
import { resultKey } from '../contract/storage';

function parsed(text: string, where: string): StoredResult {
  try {
    return JSON.parse(text) as StoredResult;
  } catch (err) {
    throw new Error(`${where} is not JSON: ${(err as Error).message}`);
  }
}

export function s3ResultReader(s3: S3Client, outputBucket: string): ResultReader {
  return async (key) => {
    const where = `s3://${outputBucket}/${resultKey(key)}`;
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: outputBucket, Key: resultKey(key) }));
      return parsed(await out.Body!.transformToString('utf8'), where);
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  };
}

export function localResultReader(root: string): ResultReader {
  return async (key) => {
    const file = path.join(root, resultKey(key));
    try {
      return parsed(await fs.promises.readFile(file, 'utf8'), file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
}
