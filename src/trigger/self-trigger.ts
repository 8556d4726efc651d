import { Stack, Token } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BACKUP_PREFIX, OUTPUT_PREFIXES } from '../shared/object-keys';

/** The buckets a trigger watches and the processor writes to. @internal */
export interface WatchedBuckets {
  readonly inputBucket: s3.IBucket;
  readonly outputBucket: s3.IBucket;
  readonly backupBucket: s3.IBucket;
}

/**
 * Throws when the processor's own writes could start it again: the input
 * bucket is also the output or backup bucket, and `prefix` could match a key
 * the processor writes there. A prefix is safe when it neither starts with
 * one of those prefixes nor is the start of one (`re` matches `results/`).
 * `shown` is the prefix as the user wrote it, for the message (a schedule's
 * `raw/{date}/` is checked by its constant start `raw/`).
 *
 * @internal
 */
export function assertNoSelfTrigger(where: string, buckets: WatchedBuckets, prefix: string | undefined, shown: string | undefined = prefix): void {
  const shared: Array<[string, string[]]> = [];
  if (sameBucket(buckets.inputBucket, buckets.outputBucket)) shared.push(['outputBucket', [...OUTPUT_PREFIXES]]);
  if (sameBucket(buckets.inputBucket, buckets.backupBucket)) shared.push(['backupBucket', [BACKUP_PREFIX]]);
  if (shared.length === 0) return;

  const written = shared.flatMap(([, prefixes]) => prefixes);
  const clash = prefix === undefined ? undefined : written.find((w) => prefix.startsWith(w) || w.startsWith(prefix));
  if (prefix !== undefined && clash === undefined) return;

  const roles = shared.map(([name]) => name).join(' and the ');
  const list = written.map((w) => `'${w}'`).join(', ');
  const problem = prefix === undefined
    ? 'it has no prefix'
    : `its prefix '${shown}' matches keys under '${clash}'`;
  throw new Error(`inputBucket is also the ${roles}, where the processor writes under ${list}: `
    + `${where} would start the processor on its own output (${problem}). Give ${where} a prefix such as 'incoming/' `
    + `that neither starts with nor is the start of ${list}, or use separate buckets.`);
}

/**
 * The same bucket: the same object, the same literal name, or (in one stack)
 * names that resolve to the same expression, e.g. a bucket imported by the
 * name of one the stack creates.
 */
function sameBucket(a: s3.IBucket, b: s3.IBucket): boolean {
  if (a === b) return true;
  const literal = !Token.isUnresolved(a.bucketName) && !Token.isUnresolved(b.bucketName);
  if (!literal && Stack.of(a) !== Stack.of(b)) return false;
  const stack = Stack.of(a);
  return JSON.stringify(stack.resolve(a.bucketName)) === JSON.stringify(stack.resolve(b.bucketName));
}
