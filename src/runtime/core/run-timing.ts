/** The parts every outcome of one run shares: when it ran, and which file version. */
import { FileRef, FileSource } from '../contract/source';

export interface Timing { readonly started: Date; readonly clock: () => Date }

export function timesFrom(t: Timing, finished = t.clock()) {
  return {
    started: t.started.toISOString(),
    finished: finished.toISOString(),
    durationMs: finished.getTime() - t.started.getTime(),
    finishedAt: finished,
  };
}

export function identity(source: FileSource, ref?: FileRef) {
  return { bucket: source.bucket, key: source.key, version: ref?.version ?? null, versionKind: ref?.versionKind ?? null };
}
