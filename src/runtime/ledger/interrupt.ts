/**
 * Interrupting a run (CLI `run` in a container: SIGTERM on a Spot reclaim or
 * an ECS stop, SIGINT on Ctrl-C). The budget (./deadline.ts) destroys the
 * streams being read; a statement that is not reading (a lock wait, the
 * DELETE of an earlier version's rows) is cancelled here, so the attempt
 * unwinds, its transaction rolls back, and it is recorded as interrupted.
 */
import type { PoolClient } from 'pg';
import { errorMessage, Logger } from '../contract/logger';

/** The part of Database that cancelling needs: a second connection. */
export interface Connector {
  connect(): Promise<PoolClient>;
}

/**
 * When `interrupt` fires, cancels the statement `client` is running, if it
 * started before the interrupt (what the run does afterwards to record the
 * interruption is left alone). Returns the function that stops watching.
 */
export function cancelOnInterrupt(interrupt: AbortSignal | undefined, client: PoolClient, database: Connector, log: Logger): () => void {
  const pid = (client as unknown as { processID?: number }).processID;
  if (!interrupt || typeof pid !== 'number') return () => undefined;
  const cancel = () => {
    const before = new Date();
    void (async () => {
      let other: PoolClient | undefined;
      try {
        other = await database.connect();
        await other.query(
          `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
           WHERE pid = $1 AND state = 'active' AND query_start < $2`,
          [pid, before],
        );
        other.release();
      } catch (err) {
        other?.release(true);
        log.warn('could not cancel the running statement after the interrupt; it ends with the process', { error: errorMessage(err) });
      }
    })();
  };
  if (interrupt.aborted) {
    cancel();
    return () => undefined;
  }
  interrupt.addEventListener('abort', cancel, { once: true });
  return () => interrupt.removeEventListener('abort', cancel);
}
