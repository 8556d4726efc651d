/**
 * Telling the world about an outcome: result document (failures only — a
 * success writes its own inside the transaction), SNS message, metrics. Each
 * step is best effort on the failure path: a broken notifier must not hide
 * the original error.
 */
import { Metrics } from './metrics';
import { buildNotification, Notifier } from './notify';
import { FileOutcome, toResultDocument } from './outcome';
import { FileClaim } from '../contract/ledger';
import { errorMessage, Logger } from '../contract/logger';
import { FileRef } from '../contract/source';
import { ResultStorage } from '../contract/storage';

export interface ReportDeps {
  readonly storage: ResultStorage;
  readonly pipelineName: string;
  readonly notifier?: Notifier;
  readonly metrics?: Metrics;
  readonly log: Logger;
}

type Final = FileOutcome & { status: 'succeeded' | 'failed' };

/**
 * Publishes the outcome, then records that it did. Publishing before the
 * record means a crash in between sends the message twice (on retry) rather
 * than never.
 */
export async function notify(claim: FileClaim | undefined, outcome: Final, deps: ReportDeps): Promise<void> {
  if (!deps.notifier) return;
  await deps.notifier.publish(buildNotification(deps.pipelineName, outcome));
  if (!claim) return;
  try {
    await claim.markNotified();
  } catch (err) {
    deps.log.warn('notification sent but not recorded; a retry may send it again', { key: outcome.key, error: errorMessage(err) });
  }
}

export async function reportFailure(
  claim: FileClaim | undefined, ref: FileRef | undefined, outcome: Final, deps: ReportDeps,
): Promise<FileOutcome> {
  let result: string | undefined;
  const key = ref ?? { bucket: outcome.bucket, key: outcome.key, version: outcome.version ?? '', versionKind: 'etag' as const, filename: outcome.key };
  try {
    result = await deps.storage.writeResult(key, toResultDocument(outcome));
  } catch (err) {
    deps.log.error('could not write the failure result', { key: outcome.key, error: errorMessage(err) });
  }
  const reported = { ...outcome, result };
  let unsent: unknown;
  try {
    await notify(claim, reported, deps);
  } catch (err) {
    unsent = err;
    deps.log.error('could not publish the failure notification', { key: outcome.key, error: errorMessage(err) });
  }
  deps.metrics?.record(reported);
  deps.log.error('file failed', { bucket: outcome.bucket, key: outcome.key, version: outcome.version, error: outcome.error });
  if (unsent !== undefined && !reported.retry && reported.fileId !== undefined) {
    // A content error is final, and its redelivery a quiet duplicate that sends only what was not sent:
    // delivered again, the message is not lost (see the input-error duplicate in process-file.ts).
    return { ...reported, retry: true, reason: `the failure notification could not be sent: ${errorMessage(unsent)}; delivered again to send it` };
  }
  return reported;
}
