/**
 * An S3 event notification in, every object in it processed. Records are
 * processed one after the other; if any failed, the event fails after all of
 * them ran, so the retry redoes only the failed ones (the rest are duplicates).
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { S3Client } from '@aws-sdk/client-s3';
import { FileOutcome, publicOutcome } from './outcome';
import { processFile, ProcessDeps } from './process-file';
import { isObjectCreated, parseS3Event } from './s3-event';
import { S3Source } from './s3-source';

export interface EventDeps extends ProcessDeps {
  readonly s3: S3Client;
}

export interface EventResult {
  /** Set when the event carried nothing to process, e.g. `s3:TestEvent`. */
  readonly ignored?: string;
  readonly files: Omit<FileOutcome, 'cause'>[];
}

export async function handleS3Event(event: unknown, deps: EventDeps): Promise<EventResult> {
  const parsed = parseS3Event(event);
  if (parsed.kind === 'test') {
    deps.log.info('ignored s3:TestEvent (sent by S3 when the notification is configured)');
    return { ignored: 's3:TestEvent', files: [] };
  }
  const outcomes: FileOutcome[] = [];
  for (const record of parsed.records) {
    if (!isObjectCreated(record)) {
      deps.log.info('ignored a record that is not an upload', { eventName: record.eventName, key: record.key });
      continue;
    }
    outcomes.push(await processFile(new S3Source(deps.s3, record), deps));
  }
  const failed = outcomes.filter((o) => o.cause !== undefined);
  if (failed.length === 1) throw failed[0].cause;
  if (failed.length > 1) {
    throw new Error(`${failed.length} of ${outcomes.length} files failed: ${failed.map((f) => `${f.key}: ${f.error}`).join('; ')}`);
  }
  return { files: outcomes.map(publicOutcome) };
}
