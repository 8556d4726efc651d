/**
 * Events in, every object in them processed, one after the other.
 *
 * - From the queue (SQS event source): each message holds one S3
 *   notification. The result lists, in `batchItemFailures`, the messages to
 *   deliver again: those with a file that failed for a reason of the
 *   pipeline. A content error, a duplicate, a superseded or deleted version
 *   are final, so their messages are done.
 * - A direct S3 notification (manual invocation): the same processing; if a
 *   file must be retried the invocation fails after all of them ran.
 *
 * Keys under the pipeline's own output prefixes, in the bucket they are
 * written to, are never processed: a bucket that is both input and output
 * must not feed the processor its own results.
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { S3Client } from '@aws-sdk/client-s3';
import { isObjectCreated, parseS3Event, ParsedS3Event } from './s3-event';
import { isSqsEvent, parseSqsEvent } from './sqs-event';
import { S3Source } from '../aws/s3-source';
import { FileOutcome, publicOutcome } from '../core/outcome';
import { processFile, ProcessDeps } from '../core/process-file';

/** Where the pipeline writes: keys starting with `prefix` in `bucket` are its own. */
export interface OwnOutput {
  readonly bucket: string;
  readonly prefix: string;
}

export interface EventDeps extends ProcessDeps {
  readonly s3: S3Client;
  /** The pipeline's own outputs, never processed as input. */
  readonly ownOutputs?: readonly OwnOutput[];
}

export interface EventResult {
  /** Set when the event carried nothing to process, e.g. `s3:TestEvent`. */
  readonly ignored?: string;
  readonly files: Omit<FileOutcome, 'cause'>[];
  /** SQS partial batch response: the messages to deliver again. */
  readonly batchItemFailures?: { itemIdentifier: string }[];
}

export async function handleEvent(event: unknown, deps: EventDeps): Promise<EventResult> {
  if (!isSqsEvent(event)) return handleS3Event(event, deps);
  const files: Omit<FileOutcome, 'cause'>[] = [];
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const message of parseSqsEvent(event)) {
    if (message.parsed.kind === 'invalid') {
      deps.log.error('queue message is not an S3 event notification; it goes to the dead-letter queue after its last receive', { error: message.parsed.error });
      batchItemFailures.push({ itemIdentifier: message.messageId });
      continue;
    }
    const outcomes = await processRecords(message.parsed, deps);
    files.push(...outcomes.map(publicOutcome));
    if (outcomes.some((o) => o.retry)) batchItemFailures.push({ itemIdentifier: message.messageId });
  }
  return { files, batchItemFailures };
}

export async function handleS3Event(event: unknown, deps: EventDeps): Promise<EventResult> {
  const parsed = parseS3Event(event);
  if (parsed.kind === 'test') {
    deps.log.info('ignored s3:TestEvent (sent by S3 when the notification is configured)');
    return { ignored: 's3:TestEvent', files: [] };
  }
  const outcomes = await processRecords(parsed, deps);
  const failed = outcomes.filter((o) => o.retry);
  if (failed.length === 1) throw failed[0].cause ?? new Error(failed[0].reason ?? failed[0].error);
  if (failed.length > 1) {
    throw new Error(`${failed.length} of ${outcomes.length} files must be retried: ${failed.map((f) => `${f.key}: ${f.error ?? f.reason}`).join('; ')}`);
  }
  return { files: outcomes.map(publicOutcome) };
}

async function processRecords(parsed: ParsedS3Event, deps: EventDeps): Promise<FileOutcome[]> {
  if (parsed.kind === 'test') {
    deps.log.info('ignored s3:TestEvent (sent by S3 when the notification is configured)');
    return [];
  }
  const outcomes: FileOutcome[] = [];
  for (const record of parsed.records) {
    if (!isObjectCreated(record)) {
      deps.log.info('ignored a record that is not an upload', { eventName: record.eventName, key: record.key });
      continue;
    }
    const own = deps.ownOutputs?.find((o) => o.bucket === record.bucket && record.key.startsWith(o.prefix));
    if (own) {
      deps.log.warn('ignored an object the pipeline wrote itself; narrow the trigger with a prefix', { bucket: record.bucket, key: record.key });
      continue;
    }
    outcomes.push(await processFile(new S3Source(deps.s3, record), deps));
  }
  return outcomes;
}
