/** Exit status of the `cdk-data-pipeline` command (documented in ./usage.ts). */
export const EXIT = {
  /** Every file succeeded, or was a duplicate (or skipped: superseded, deleted). */
  OK: 0,
  /** A file failed (content or pipeline error); its result says why. */
  FAILED: 1,
  /** Bad flags or environment: nothing was processed. */
  USAGE: 2,
  /** Interrupted (SIGTERM, SIGINT) or must wait for another run: run the same command again (sysexits EX_TEMPFAIL). */
  INTERRUPTED: 75,
} as const;
