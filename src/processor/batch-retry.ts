import * as batch from 'aws-cdk-lib/aws-batch';

/** The runtime's exit code for "interrupted, retry me" (SIGTERM: chunk rolled back, checkpoint saved). */
export const INTERRUPTED_EXIT_CODE = 75;

/** AWS Batch accepts at most 5 retry strategies per job definition. */
const MAX_RETRY_STRATEGIES = 5;

/**
 * The job definition's retry strategies, evaluated in order: retry when the
 * host (EC2 Spot instance) was reclaimed or the program was interrupted
 * (exit code 75, which a Fargate Spot reclaim's SIGTERM ends in), retry on
 * the extra status reasons given, and exit on every other exit code (an
 * application error, retried by nobody). A job that failed without an exit
 * code (e.g. the image could not be pulled) matches none and Batch retries
 * it, up to the job's attempts.
 *
 * @internal
 */
export function batchRetryStrategies(extraStatusReasons: string[] = []): batch.RetryStrategy[] {
  const strategies = [
    batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
    batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onExitCode: String(INTERRUPTED_EXIT_CODE) })),
    ...extraStatusReasons.map((r) => batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onStatusReason: r }))),
    batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onExitCode: '*' })),
  ];
  if (strategies.length > MAX_RETRY_STRATEGIES) {
    throw new Error(`Processor.batch(): retryOnStatusReasons may hold at most ${MAX_RETRY_STRATEGIES - 3} entries, since AWS Batch allows `
      + `${MAX_RETRY_STRATEGIES} retry strategies and 3 are the processor's own (got ${extraStatusReasons.length}: ${extraStatusReasons.join(', ')})`);
  }
  return strategies;
}

/**
 * Checks `retryOnStatusReasons` entries: Batch's glob patterns (letters,
 * digits, spaces, '.', ':' and a trailing '*' only), at most 512 characters.
 *
 * @internal
 */
export function validateStatusReasons(reasons: string[]): void {
  reasons.forEach((r, i) => {
    if (r.length === 0 || r.length > 512 || !/^[A-Za-z0-9 .:]*\*?$/.test(r)) {
      throw new Error(`Processor.batch(): retryOnStatusReasons[${i}] must be 1-512 letters, digits, spaces, '.' or ':' with an optional trailing '*' (got '${r}')`);
    }
  });
  batchRetryStrategies(reasons);
}
