/**
 * Lambda entry point of the processor. Invoked by S3 event notifications;
 * `{ "action": "migrate" }` only brings the database schema up to date
 * (for a deploy-time trigger, so the tables exist before the first upload).
 */
import { handleS3Event } from './handle-event';
import { sharedRuntime } from './lambda-runtime';

export async function handler(event: unknown): Promise<unknown> {
  const runtime = sharedRuntime();
  if ((event as { action?: unknown } | null)?.action === 'migrate') {
    (await runtime.database.connect()).release();
    return { migrated: true };
  }
  return handleS3Event(event, runtime);
}
