/**
 * Lambda entry point of the processor. Invoked by its SQS queue (S3
 * notifications in the messages), with an S3 notification directly, or by
 * EventBridge Scheduler with `{"scheduledRun": {...}}` (every object under a
 * dated prefix, see ./scheduled-run.ts), or by hand with `{"reprocess":
 * {...}}` to process one version again (./reprocess.ts);
 * `{ "action": "migrate" }`, or a direct invocation without a payload (which
 * is what the construct's deploy-time trigger sends), only brings the
 * database schema up to date, so the tables exist before the first upload.
 */
import { handleEvent } from './handle-event';
import { sharedRuntime } from './lambda-runtime';
import { handleReprocess, isReprocessEvent } from './reprocess';
import { handleScheduledRun, isScheduledRunEvent } from './scheduled-run';

/** The part of the Lambda context the processor uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export async function handler(event: unknown, context?: LambdaContext): Promise<unknown> {
  const runtime = sharedRuntime();
  if (isMigrateRequest(event)) {
    await runtime.migrate();
    return { migrated: true };
  }
  const remainingMs = context ? () => context.getRemainingTimeInMillis() : undefined;
  if (isScheduledRunEvent(event)) return handleScheduledRun(event, { ...runtime, remainingMs });
  if (isReprocessEvent(event)) return handleReprocess(event, { ...runtime, remainingMs });
  return handleEvent(event, { ...runtime, remainingMs });
}

function isMigrateRequest(event: unknown): boolean {
  if (event === null || event === undefined) return true;
  if (typeof event !== 'object') return false;
  const e = event as { action?: unknown };
  return e.action === 'migrate' || Object.keys(e).length === 0;
}
