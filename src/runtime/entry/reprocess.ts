/**
 * `{"reprocess": {"bucket": B, "key": K, "versionId"?: V}}`: the Lambda
 * processors' `--force` for one object. It processes that version (its
 * current one without `versionId`) even if it already reached a final
 * outcome, replacing the rows it loaded: never an accident, since no S3 or
 * scheduler event has this shape. Invoke it synchronously (RequestResponse):
 * the outcome is the response, as `run --key ... --force` prints it.
 */
import type { EventDeps } from './handle-event';
import { S3Source } from '../aws/s3-source';
import { FileOutcome, publicOutcome } from '../core/outcome';
import { processFile } from '../core/process-file';

export interface ReprocessPayload {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

export function isReprocessEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'reprocess' in event;
}

/** Throws naming the field (`reprocess.key ...`) when the payload is malformed. */
export function parseReprocess(event: unknown): ReprocessPayload {
  const r = (event as { reprocess?: unknown }).reprocess;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) {
    throw new Error(`reprocess must be an object with bucket, key and optionally versionId, got ${JSON.stringify(r)}`);
  }
  const o = r as Record<string, unknown>;
  for (const name of ['bucket', 'key'] as const) {
    if (typeof o[name] !== 'string' || o[name] === '') {
      throw new Error(`reprocess.${name} must be a non-empty string, got ${o[name] === undefined ? 'nothing' : JSON.stringify(o[name])}`);
    }
  }
  if (o.versionId !== undefined && (typeof o.versionId !== 'string' || o.versionId === '')) {
    throw new Error(`reprocess.versionId must be a non-empty string when given, got ${JSON.stringify(o.versionId)}`);
  }
  return { bucket: o.bucket as string, key: o.key as string, ...(o.versionId !== undefined ? { versionId: o.versionId as string } : {}) };
}

export async function handleReprocess(event: unknown, deps: EventDeps): Promise<Omit<FileOutcome, 'cause'>> {
  const p = parseReprocess(event);
  const own = deps.ownOutputs?.find((o) => o.bucket === p.bucket && p.key.startsWith(o.prefix));
  if (own) throw new Error(`reprocess.key ${p.key} is under ${own.prefix} of the pipeline's own output bucket: the pipeline never processes what it wrote`);
  const outcome = await processFile(new S3Source(deps.s3, p), { ...deps, force: true, retryInputErrors: true });
  return publicOutcome(outcome);
}
