import { ENV } from '../shared/env';

/** Rows per checkpointed chunk the container processors use unless told otherwise (10,000, as in the original design). */
export const DEFAULT_CONTAINER_CHECKPOINT_EVERY = 10_000;

/** Checks a processor's `checkpointEvery` option. @internal */
export function validateCheckpointEvery(factory: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 100_000_000)) {
    throw new Error(`${factory}: checkpointEvery must be a whole number of rows between 0 (one transaction per file) and 100000000 (got ${value})`);
  }
}

/** The runtime's `PIPELINE_CHECKPOINT_EVERY`, when there is a value to set. @internal */
export function checkpointEnvironment(value: number | undefined): { [key: string]: string } {
  return value === undefined ? {} : { [ENV.CHECKPOINT_EVERY]: String(value) };
}
