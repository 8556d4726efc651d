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

export interface Budget {
  /** Milliseconds left for work, or undefined when the host sets no limit. */
  readonly workMs?: number;
  /** Fires when `workMs` has passed. */
  readonly signal?: AbortSignal;
  /** Destroys `stream` with a DeadlineExceededError when the budget runs out. */
  watch<T extends Readable>(stream: T): T;
  /** Stops the timer. */
  dispose(): void;
}

export function startBudget(remainingMs: (() => number) | undefined, marginMs = FINISH_MARGIN_MS): Budget {
  if (!remainingMs) return { watch: (s) => s, dispose: () => undefined };
  const workMs = Math.max(0, remainingMs() - marginMs);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), workMs);
  timer.unref?.();
  return {
    workMs,
    signal: controller.signal,
    watch: (stream) => {
      const stop = () => stream.destroy(new DeadlineExceededError(`stopped reading after ${workMs} ms: the processor's time limit is near`));
      if (controller.signal.aborted) stop();
      else controller.signal.addEventListener('abort', stop, { once: true });
      stream.once('close', () => controller.signal.removeEventListener('abort', stop));
      return stream;
    },
    dispose: () => clearTimeout(timer),
  };
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
