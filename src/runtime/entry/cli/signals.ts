/**
 * SIGTERM and SIGINT during `cdk-data-pipeline run`. ECS stops a task (and
 * Fargate Spot reclaims one) with SIGTERM, then SIGKILL after the task's
 * stopTimeout (at most 120 s); Ctrl-C is SIGINT. The first signal aborts the
 * returned AbortSignal: the run stops reading, rolls back the open
 * transaction, records the attempt as interrupted and exits 75. If that takes
 * longer than `graceMs`, or a second signal comes, the process exits 75 at
 * once: the database rolls the transaction back when the connection drops,
 * and the file's row (still `processing`) is retried as well.
 */
import { EXIT } from './exit-codes';

/** Well inside ECS's largest stopTimeout (120 s), and longer than a rollback takes. */
export const STOP_GRACE_MS = 30_000;

export interface SignalWatch {
  readonly signal: AbortSignal;
  /** Removes the handlers (the run is over). */
  dispose(): void;
}

export interface SignalOptions {
  readonly graceMs?: number;
  readonly stderr?: (text: string) => void;
  readonly exit?: (code: number) => void;
  readonly signals?: readonly NodeJS.Signals[];
}

export function watchSignals(options: SignalOptions = {}): SignalWatch {
  const controller = new AbortController();
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const graceMs = options.graceMs ?? STOP_GRACE_MS;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      stderr(`cdk-data-pipeline: ${name} again: exiting now (exit ${EXIT.INTERRUPTED}); the database rolls back the open transaction\n`);
      exit(EXIT.INTERRUPTED);
      return;
    }
    stderr(`cdk-data-pipeline: ${name}: stopping; the open transaction is rolled back and the file is retried (exit ${EXIT.INTERRUPTED}); send it again to exit at once\n`);
    controller.abort(`${name} received`);
    timer = setTimeout(() => {
      stderr(`cdk-data-pipeline: still stopping ${graceMs} ms after ${name}: exiting now (exit ${EXIT.INTERRUPTED})\n`);
      exit(EXIT.INTERRUPTED);
    }, graceMs);
    timer.unref();
  };
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of signals) process.off(s, onSignal);
      if (timer) clearTimeout(timer);
    },
  };
}
