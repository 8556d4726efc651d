/**
 * Every wait is bounded by the time the host leaves us (Lambda:
 * `getRemainingTimeInMillis()`), less a margin to record the failure, write
 * its result and publish it before the host kills the process. Without a host
 * limit (CLI), lock waits are still bounded and statements are not.
 *
 * PostgreSQL enforces the budget on SQL (`lock_timeout`, `statement_timeout`,
 * set on the session and reset when the connection goes back to the pool);
 * streams that are read outside a statement (counting, backups through this
 * process) are destroyed when the budget runs out.
 *
 * A budget can also be interrupted (the container CLI passes an AbortSignal
 * that fires on SIGTERM/SIGINT): the same watched streams are destroyed with
 * an InterruptedError, so the open transaction fails and rolls back. The
 * Lambda passes no signal and is unaffected.
 */
import { Readable } from 'stream';
import type { ClientBase } from 'pg';

/** Time kept back to mark the file failed, write the result and notify. */
export const FINISH_MARGIN_MS = 10_000;
/** Longest wait for another version of the same key when the host sets no limit. */
export const DEFAULT_LOCK_WAIT_MS = 5 * 60_000;

/** SQLSTATEs of a bounded wait that ran out. */
const QUERY_CANCELED = '57014';
const LOCK_NOT_AVAILABLE = '55P03';

export class DeadlineExceededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineExceededError';
  }
}

/** The host asked the run to stop (SIGTERM, SIGINT): the file is retried, not failed. */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterruptedError';
  }
}

/** Why an interrupt signal fired: its `reason` when it is a string or an Error, else a generic one. */
export function interruptReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error && !(reason.name === 'AbortError')) return reason.message;
  return 'interrupted';
}

export interface Budget {
  /** Milliseconds left for work, or undefined when the host sets no limit. */
  readonly workMs?: number;
  /** Fires when `workMs` has passed. */
  readonly signal?: AbortSignal;
  /** The host's interrupt (CLI `run`: SIGTERM/SIGINT); unset for the Lambda. */
  readonly interrupt?: AbortSignal;
  /**
   * Destroys `stream` with a DeadlineExceededError when the budget runs out,
   * or with an InterruptedError when the host interrupts the run.
   */
  watch<T extends Readable>(stream: T): T;
  /** Stops the timer. */
  dispose(): void;
}

export function startBudget(remainingMs: (() => number) | undefined, marginMs = FINISH_MARGIN_MS, interrupt?: AbortSignal): Budget {
  const workMs = remainingMs ? Math.max(0, remainingMs() - marginMs) : undefined;
  const controller = workMs === undefined ? undefined : new AbortController();
  const timer = workMs === undefined ? undefined : setTimeout(() => controller!.abort(), workMs);
  timer?.unref?.();
  const stopOn = (signal: AbortSignal, stream: Readable, error: () => Error) => {
    const stop = () => stream.destroy(error());
    if (signal.aborted) {
      stop();
      return;
    }
    signal.addEventListener('abort', stop, { once: true });
    stream.once('close', () => signal.removeEventListener('abort', stop));
  };
  return {
    workMs,
    signal: controller?.signal,
    interrupt,
    watch: (stream) => {
      if (interrupt) stopOn(interrupt, stream, () => new InterruptedError(`stopped reading: ${interruptReason(interrupt)}`));
      if (controller) {
        stopOn(controller.signal, stream, () => new DeadlineExceededError(`stopped reading after ${workMs} ms: the processor's time limit is near`));
      }
      return stream;
    },
    dispose: () => clearTimeout(timer),
  };
}

/** The run was interrupted by its host: an InterruptedError, or any error once the interrupt fired (a cancelled statement). */
export function isInterruption(err: unknown, budget: Pick<Budget, 'interrupt'>): boolean {
  return err instanceof InterruptedError || budget.interrupt?.aborted === true;
}

/** Bounds this session's lock waits and statements; `resetSessionTimeouts` undoes it. */
export async function applySessionTimeouts(client: ClientBase, budget: Budget): Promise<void> {
  const lockMs = Math.max(1, Math.min(budget.workMs ?? DEFAULT_LOCK_WAIT_MS, DEFAULT_LOCK_WAIT_MS));
  await client.query("SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)", [
    `${lockMs}ms`,
    budget.workMs === undefined ? '0' : `${Math.max(1, budget.workMs)}ms`,
  ]);
}

export async function resetSessionTimeouts(client: ClientBase): Promise<void> {
  await client.query('RESET lock_timeout; RESET statement_timeout');
}

export function isLockTimeout(err: unknown): boolean {
  return (err as { code?: string }).code === LOCK_NOT_AVAILABLE;
}

/** A statement cancelled by `statement_timeout`, or a stream stopped by the budget. */
export function isDeadlineError(err: unknown, budget: Budget): boolean {
  if (err instanceof DeadlineExceededError) return true;
  if (budget.workMs === undefined) return false;
  return budget.signal?.aborted === true || (err as { code?: string }).code === QUERY_CANCELED;
}
