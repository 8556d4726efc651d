/**
 * The processor's queue: S3 sends its notifications to SQS and the Lambda
 * event source hands them over in batches. Each message body is one S3
 * notification (or `s3:TestEvent`); a message that fails for a reason of the
 * pipeline is returned in `batchItemFailures`, so SQS retries only that one
 * and moves it to the dead-letter queue after the last receive.
 */
import { parseS3Event, ParsedS3Event } from './s3-event';

export interface QueueMessage {
  readonly messageId: string;
  /** Times SQS has handed this message out, including this one. */
  readonly receiveCount?: number;
  /** The S3 notification in the body, or why it could not be read. */
  readonly parsed: ParsedS3Event | { readonly kind: 'invalid'; readonly error: string };
}

interface RawSqsRecord {
  eventSource?: string;
  messageId?: string;
  body?: string;
  attributes?: { ApproximateReceiveCount?: string };
}

/** An SQS event, as the Lambda event source sends it. */
export function isSqsEvent(event: unknown): boolean {
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && records.length > 0 && (records[0] as RawSqsRecord)?.eventSource === 'aws:sqs';
}

export function parseSqsEvent(event: unknown): QueueMessage[] {
  const records = (event as { Records: RawSqsRecord[] }).Records;
  return records.map((record, i) => {
    if (record.eventSource !== 'aws:sqs' || typeof record.messageId !== 'string') {
      throw new Error(`Record ${i} of the SQS event is not an SQS message with a messageId`);
    }
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
    const base = { messageId: record.messageId, receiveCount: Number.isFinite(receiveCount) ? receiveCount : undefined };
    try {
      return { ...base, parsed: parseS3Event(JSON.parse(record.body ?? '')) };
    } catch (err) {
      return { ...base, parsed: { kind: 'invalid' as const, error: `message ${record.messageId}: ${(err as Error).message}` } };
    }
  });
}
