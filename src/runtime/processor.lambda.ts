/**
 * Lambda entry point of the processor. Invoked by S3 event notifications;
 * `{ "action": "migrate" }`, or a direct invocation without a payload (which
 * is what the construct's deploy-time trigger sends), only brings the
 * database schema up to date, so the tables exist before the first upload.
 */
import { handleS3Event } from './handle-event';
import { sharedRuntime } from './lambda-runtime';

export async function handler(event: unknown): Promise<unknown> {
  const runtime = sharedRuntime();
  if (isMigrateRequest(event)) {
    (await runtime.database.connect()).release();
    return { migrated: true };
  }
  return handleS3Event(event, runtime);
}

function isMigrateRequest(event: unknown): boolean {
  if (event === null || event === undefined) return true;
  if (typeof event !== 'object') return false;
  const e = event as { action?: unknown };
  return e.action === 'migrate' || Object.keys(e).length === 0;
}
