/**
 * Which of two versions of one key is newer. S3 delivers events at least
 * once and in any order, so a late event for an older version must not undo
 * a newer one. The event's sequencer decides when both have one; otherwise
 * the versions' LastModified (1 s resolution); when neither tells them apart
 * the version that arrives later counts as newer.
 */

export interface VersionPosition {
  readonly sequencer?: string | null;
  readonly modifiedAt?: Date | null;
}

export function isOlderThan(incoming: Required<VersionPosition>, loaded: Required<VersionPosition>): boolean {
  if (incoming.sequencer && loaded.sequencer) return compareSequencers(incoming.sequencer, loaded.sequencer) < 0;
  if (incoming.modifiedAt && loaded.modifiedAt) return incoming.modifiedAt.getTime() < loaded.modifiedAt.getTime();
  return false;
}

/**
 * Orders two sequencers of the same key: negative when `a` is older. S3
 * sequencers are hex strings of varying length, compared after padding the
 * shorter one with zeros on the right; comparing those of different keys
 * means nothing.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padEnd(width, '0');
  const pb = b.toUpperCase().padEnd(width, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** Why an older version is skipped: the reason recorded with `superseded`. */
export function supersededReason(description: string, newestId: number): string {
  return `a newer version of ${description} is already loaded (file_metadata id ${newestId}); this older one changes nothing`;
}
