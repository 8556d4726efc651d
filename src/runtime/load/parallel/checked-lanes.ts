/**
 * The good rows of a checked load, shared between several connections. The
 * file is checked once, in file order, by the one checker (../checked-copy.ts):
 * Node runs it on one thread whatever the number of connections, so
 * checking segments side by side would gain nothing, and in file order every
 * row's line number, every reject and the quote state at every record are
 * exactly those of a one-connection load. Its good rows are cut into
 * segments of about `segmentBytes` at record boundaries, and each segment
 * goes to the next connection in turn as one COPY (and, under
 * SKIP_AND_REPORT, one more for its rows PostgreSQL may refuse, under a
 * savepoint: a refused row is reported and the batch re-sent without it, as
 * through one connection).
 *
 * Each connection holds two segments: while one is being stored (its COPY
 * ending), the checker fills the other, streaming it into the connection as
 * soon as the first is in, without waiting for the connection to take the
 * bytes; it waits only when it comes back to a connection whose two
 * segments are both still on their way. So the checker never idles while a
 * COPY ends, and the PostgreSQL backends store segments side by side.
 */
import type { ClientBase } from 'pg';
import { Batch, StreamingSender } from '../batch';
import { CheckedRows, MAIN_BATCH_ROWS, UNSURE_BATCH_BYTES, UNSURE_BATCH_ROWS } from '../checked-copy';
import type { RejectReport } from '../rejects';

interface Segment {
  readonly main: Batch;
  /** Rows PostgreSQL may refuse (SKIP_AND_REPORT only): their own COPY, after the main one. */
  readonly side: Batch | undefined;
}

interface Lane {
  readonly sender: StreamingSender;
  /** The segment the checker fills. */
  filling: Segment;
  /** The segment being stored, or free. */
  other: Segment;
  /** Settles (never rejects) when `other` is stored. */
  storing: Promise<void> | undefined;
  busy: boolean;
}

export class CheckedLanes implements CheckedRows {
  private readonly lanes: Lane[];
  private current = 0;
  private failure: { error: unknown } | undefined;
  private copied = false;

  /**
   * One lane per client (each in its transaction), COPYing with `copySql`;
   * `onCopied` is awaited once, when the first segment is stored.
   */
  constructor(
    clients: readonly ClientBase[], copySql: string, guarded: boolean, names: string[], rejects: RejectReport,
    segmentBytes: number, private readonly onCopied?: () => Promise<void> | void,
  ) {
    const segment = (): Segment => ({
      main: new Batch(segmentBytes, Math.min(MAIN_BATCH_ROWS, Math.max(1024, Math.ceil(segmentBytes / 32)))),
      side: guarded ? new Batch(Math.min(segmentBytes, UNSURE_BATCH_BYTES), UNSURE_BATCH_ROWS) : undefined,
    });
    this.lanes = clients.map((client) => ({
      sender: new StreamingSender(client, copySql, guarded, names, rejects),
      filling: segment(),
      other: segment(),
      storing: undefined,
      busy: false,
    }));
  }

  batchFor(unsure: boolean): Batch {
    const s = this.lanes[this.current].filling;
    return unsure && s.side ? s.side : s.main;
  }

  async full(): Promise<void> {
    await this.seal(this.current);
    this.current = (this.current + 1) % this.lanes.length;
    this.throwIfFailed();
  }

  async stream(batch: Batch): Promise<void> {
    batch.streamed = batch.len;
    const lane = this.lanes[this.current];
    // Not while the connection's other segment is being stored, nor into a connection that has not taken the last bytes yet.
    if (lane.busy || batch !== lane.filling.main || lane.sender.backedUp) return;
    try {
      await lane.sender.push(batch, false);
    } catch (e) {
      this.failure ??= { error: e };
    }
    this.throwIfFailed();
  }

  async end(): Promise<number> {
    for (let k = 0; k < this.lanes.length; k++) {
      const i = (this.current + k) % this.lanes.length;
      const s = this.lanes[i].filling;
      if (s.main.count > 0 || (s.side && s.side.count > 0)) await this.seal(i);
    }
    await Promise.all(this.lanes.map((l) => l.storing));
    this.throwIfFailed();
    return this.lanes.reduce((sum, l) => sum + l.sender.rowsLoaded, 0);
  }

  async abandon(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.storing));
    await Promise.all(this.lanes.map((l) => l.sender.abandon()));
  }

  /** Hands lane `i`'s filled segment to its connection, once the one before it is stored. */
  private async seal(i: number): Promise<void> {
    const lane = this.lanes[i];
    await lane.storing;
    this.throwIfFailed();
    const segment = lane.filling;
    lane.filling = lane.other;
    lane.other = segment;
    lane.busy = true;
    lane.storing = (async () => {
      try {
        if (segment.main.count > 0) await lane.sender.finish(segment.main);
        if (segment.side && segment.side.count > 0) await lane.sender.finish(segment.side);
        segment.main.clear();
        segment.side?.clear();
        if (!this.copied) {
          this.copied = true;
          await this.onCopied?.();
        }
      } catch (e) {
        this.failure ??= { error: e };
      } finally {
        lane.busy = false;
      }
    })();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
