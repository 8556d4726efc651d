/**
 * Which of two versions of one key is newer. S3 delivers events at least
 * once and in any order, so a late event for an older version must not undo
 * a newer one. The event's sequencer decides when both have one; otherwise
 * the versions' LastModified (1 s resolution); when neither tells them apart
 * the version that arrives later counts as newer.
 */
import { compareSequencers } from './s3-event';

export interface VersionPosition {
  readonly sequencer?: string | null;
  readonly modifiedAt?: Date | null;
}

export function isOlderThan(incoming: Required<VersionPosition>, loaded: Required<VersionPosition>): boolean {
  if (incoming.sequencer && loaded.sequencer) return compareSequencers(incoming.sequencer, loaded.sequencer) < 0;
  if (incoming.modifiedAt && loaded.modifiedAt) return incoming.modifiedAt.getTime() < loaded.modifiedAt.getTime();
  return false;
}
