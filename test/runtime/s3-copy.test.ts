/** Backups by server-side copy, including the multipart path used above 5 GiB (threshold lowered here). */
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { closeHelpers, putObject, readText, s3 } from './helpers';
import { copyObjectVersion, copySourceHeader } from '../../src/runtime/aws/s3-copy';
import { uniqueName } from '../support/moto';

let src: string;
let dest: string;

beforeAll(async () => {
  [src, dest] = [uniqueName('src'), uniqueName('dst')];
  for (const b of [src, dest]) await s3().send(new CreateBucketCommand({ Bucket: b }));
  await s3().send(new PutBucketVersioningCommand({ Bucket: src, VersioningConfiguration: { Status: 'Enabled' } }));
});

afterAll(() => closeHelpers());

test('the copy source header encodes the key but keeps slashes', () => {
  expect(copySourceHeader({ bucket: 'b', key: 'a dir/é+1.csv', versionId: 'v/1' })).toBe('b/a%20dir/%C3%A9%2B1.csv?versionId=v%2F1');
});

test('copies the named version, not the current one, with awkward key characters', async () => {
  const key = 'dir/Données été +1.csv';
  const v1 = await putObject(src, key, 'first');
  await putObject(src, key, 'second');
  await copyObjectVersion(s3(), { bucket: src, key, versionId: v1.versionId }, dest, 'backup/x/' + key, 5);
  expect(await readText(dest, 'backup/x/' + key)).toBe('first');
});

test('multipart copy above the threshold reassembles the object exactly', async () => {
  const body = Buffer.alloc(11 * 1024 * 1024 + 123);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) % 251;
  const v = await putObject(src, 'big.bin', body);
  await copyObjectVersion(s3(), { bucket: src, key: 'big.bin', versionId: v.versionId }, dest, 'big-copy.bin', body.length, {
    multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024,
  });
  const copied = await s3().send(new GetObjectCommand({ Bucket: dest, Key: 'big-copy.bin' }));
  const bytes = Buffer.from(await copied.Body!.transformToByteArray());
  expect(bytes.length).toBe(body.length);
  expect(bytes.equals(body)).toBe(true);
});
