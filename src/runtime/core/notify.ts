/**
 * Success and failure messages. The subject is what an e-mail subscriber
 * sees first; SNS rejects subjects over 100 characters or with anything but
 * printable ASCII, so it is sanitised rather than trusted to the file name.
 */
import { FileOutcome } from './outcome';

export interface Notification {
  readonly subject: string;
  /** JSON. */
  readonly body: string;
  readonly status: 'succeeded' | 'failed';
}

export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

export const MAX_SUBJECT_LENGTH = 100;

export function safeSubject(text: string): string {
  const ascii = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '?').replace(/\s+/g, ' ').trim();
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : ascii.slice(0, MAX_SUBJECT_LENGTH - 3) + '...';
}

export function buildNotification(pipelineName: string, o: FileOutcome & { status: 'succeeded' | 'failed' }): Notification {
  const what = o.status === 'succeeded'
    ? `processed ${o.rows} rows${o.rowsRejected ? `, ${o.rowsRejected} rejected` : ''}`
    : 'FAILED';
  const body = {
    pipeline: pipelineName,
    status: o.status,
    bucket: o.bucket,
    key: o.key,
    version: o.version,
    versionKind: o.versionKind,
    rows: o.rows,
    rowsRejected: o.rowsRejected,
    attempt: o.attempt,
    started: o.started,
    finished: o.finished,
    durationMs: o.durationMs,
    ...(o.error !== undefined ? { error: o.error } : {}),
    result: o.result,
    backup: o.backup,
    rejects: o.rejects,
  };
  return {
    subject: safeSubject(`[${pipelineName}] ${what}: ${o.key}`),
    body: JSON.stringify(body, null, 2),
    status: o.status,
  };
}
