/**
 * One part of a file split across processes (`--part i/N`; README.md):
 *
 * 1. The first part to arrive starts the round: under the file's claim it
 *    marks the attempt started and creates the file's parts table
 *    (staging.ts), then gives the claim up; the others find that table.
 * 2. The part finds its records (part-range.ts), COPYs them into the parts
 *    table and records itself in the ledger, one transaction
 *    (load-part.ts). A part recorded already is not loaded again.
 * 3. If every part is recorded now, it runs the ordinary processing core
 *    with a sink that attaches the parts table (commit-sink.ts): the claim,
 *    duplicate and ordering rules, the REPLACE of earlier versions, result,
 *    backup and notification are the one-process load's. Two parts that
 *    finish together both try: the claim lets one through, and the other
 *    finds the file done (or "in progress").
 *
 * A part failing on the file's content (FAIL_FILE: a bad row, at its line
 * of the file; either policy: a header that does not fit the table), or on
 * a file that cannot be split (load-part.ts, `CannotSplitError`), marks the parts table abandoned, so the other parts' records
 * stop counting, and records the failure through the processing core.
 */
import { partsCommitSink } from './commit-sink';
import { CannotSplitError, loadPart, PartTakenError } from './load-part';
import { FileLayout, partRange } from './part-range';
import { forgetParts, readPart, readParts, tryLockPart, unlockPart } from './part-records';
import { describePart, PartSpec } from './part-spec';
import { bytesBetween, OpenAt } from './ranges';
import { abandonPartsTable, createPartsTable, dropAbandonedPartsTable, findPartsTable, PartsTable, partsTableRef } from './staging';
import type { PostgresTableSinkConfig } from '../../../shared/sink-config';
import { readFileHead } from '../../checkpoint/file-head';
import { ConfigError } from '../../contract/config';
import { InputError } from '../../contract/errors';
import { FINAL_STATUSES } from '../../contract/ledger';
import { FileRef, FileSource } from '../../contract/source';
import { startBudget } from '../../core/deadline';
import { FileOutcome, OutcomeStatus } from '../../core/outcome';
import { processFile, ProcessDeps } from '../../core/process-file';
import { identity, Timing, timesFrom } from '../../core/run-timing';
import { isOlderThan, supersededReason } from '../../core/version-order';
import { ensureFileRow, readFileRow, recordModifiedAt } from '../../ledger/file-metadata';
import { planColumns } from '../header';
import { lineEndingOf } from '../parallel/line-ending';
import { isPartitioned } from '../parallel/partitions';
import { qualifiedTableName } from '../validate-config';

export interface PartDeps extends ProcessDeps {
  /** How long to wait, before attaching, for transactions that may hold a snapshot from before the last part committed; default 30 s. */
  readonly snapshotWaitMs?: number;
  /** Test hook: awaited once this part's COPY has sent its first bytes. */
  readonly onCopying?: () => Promise<void> | void;
}

export interface PartReport {
  readonly index: number;
  readonly count: number;
  /** loaded: by this run; already-loaded: by an earlier run of this part; not-loaded: failed, or nothing to do. */
  readonly state: 'loaded' | 'already-loaded' | 'not-loaded';
  readonly rows?: number;
  /** Rows of the part rejected (SKIP_AND_REPORT). */
  readonly rowsRejected?: number;
  /** File line the part's records start on. */
  readonly firstLine?: number;
}

/** The file's outcome when this part committed it (or found it done, or failed), else `part-loaded`. */
export type PartOutcome = Omit<FileOutcome, 'status'> & {
  readonly status: OutcomeStatus | 'part-loaded';
  readonly part: PartReport;
  /** `part-loaded`: the parts not recorded yet (the last of them to finish commits the file). */
  readonly waitingFor?: number[];
};

type LiveParts = Extract<PartsTable, { state: 'live' }>;

const ABANDONED = 'another part of this file failed it (its error is in file_metadata and the result file); nothing of this part is kept';

/** How long a part waits for the part that is starting the round (creating the parts table). */
const ROUND_WAIT_MS = 60_000;

/** Loads one part of the file into `config`'s table (./split-sink.ts), and commits the file if it is the last part. */
export async function processPart(source: FileSource, spec: PartSpec, config: PostgresTableSinkConfig, deps: PartDeps): Promise<PartOutcome> {
  const clock = deps.clock ?? (() => new Date());
  const timing: Timing = { started: clock(), clock };
  const table = qualifiedTableName(config);
  if (!deps.ledger.connect) throw new ConfigError('--part needs the PostgreSQL ledger (the parts are recorded in its database)');
  const ref = await source.resolve();
  const session = await deps.ledger.connect();
  let healthy = false;
  const report = (state: PartReport['state'], extra: Partial<PartReport> = {}): PartReport => ({ index: spec.index, count: spec.count, state, ...extra });
  const untouched = (status: OutcomeStatus | 'part-loaded', fileId: number, reason: string, part: PartReport, extra: Partial<PartOutcome> = {}): PartOutcome => {
    const { finishedAt: _f, ...times } = timesFrom(timing);
    return { ...identity(source, ref), status, fileId, rows: null, rowsRejected: null, ...times, reason, part, ...extra };
  };
  let parts: LiveParts | undefined;
  let fileId = 0;
  try {
    if (!(await isPartitioned(session, config))) {
      throw new ConfigError(`--part: table ${table} is not partitioned by _file_id, so a file cannot be committed from parts; `
        + 'a table created with parallelism 2 or more is (create it again, or let the pipeline create it)');
    }
    fileId = await ensureFileRow(session, ref);
    const openAt: OpenAt = (start) => source.open({ start });
    try {
      const stat = await source.stat();
      // Orders this version against its key's others before it commits (a newer one loaded meanwhile retires this round's parts table: ./retired-parts.ts).
      await recordModifiedAt(session, fileId, stat.modifiedAt);
      const stream = await source.open();
      let layout: FileLayout;
      let head: Awaited<ReturnType<typeof readFileHead>>;
      try {
        head = await readFileHead(stream);
        layout = { fileId, size: stat.sizeBytes, dataOffset: head.dataOffset, headerLines: head.header.lines };
      } finally {
        stream.destroy();
      }
      const plan = planColumns(config, head.header.names, head.header.line);

      const found = await findPartsTable(session, config, fileId);
      const started = found.state === 'live' ? found : await startRound(session, source, ref, fileId, spec, config, deps, untouched);
      if ('status' in started) return started;
      parts = started;
      if (parts.parts !== spec.count) {
        throw new ConfigError(`--part ${describePart(spec)}: file ${source.description} is being loaded in ${parts.parts} parts (table ${partsTableRef(config, fileId)}); `
          + `run its parts as i/${parts.parts}, or drop that table to start again with ${spec.count}`);
      }
      let mine = await readPart(session, fileId, parts.oid, spec.index);
      let state: PartReport['state'] = 'already-loaded';
      if (!mine) {
        if (!(await tryLockPart(session, fileId, spec.index))) {
          return untouched('in-progress', fileId, `another run is loading part ${describePart(spec)} right now`, report('not-loaded'), { retry: true });
        }
        try {
          const range = await partRange(session, openAt, layout, spec);
          const ending: Buffer[] = [];
          for await (const b of bytesBetween(openAt, layout.dataOffset, Math.min(layout.size, layout.dataOffset + 1024 * 1024))) ending.push(b);
          try {
            const loaded = await loadPart(session, {
              config,
              fileId,
              part: spec.index,
              parts: spec.count,
              staging: parts.oid,
              plan,
              headerBytes: head.headerBytes,
              openAt,
              ...range,
              fileEnding: lineEndingOf(ending),
              onCopying: deps.onCopying,
            });
            mine = { part: spec.index, firstLine: range.firstLine, ...loaded };
            state = 'loaded';
          } catch (err) {
            // The round was abandoned (another part failed the file) and its table dropped while this part was starting.
            if ((err as { code?: string }).code === '42P01') return untouched('failed', fileId, ABANDONED, report('not-loaded'), { error: ABANDONED });
            if (!(err instanceof PartTakenError)) throw err;
            mine = await readPart(session, fileId, parts.oid, spec.index);
          }
        } finally {
          await unlockPart(session, fileId, spec.index);
        }
      }
      const part = report(state, mine ? { rows: mine.rows, rowsRejected: mine.rejected, firstLine: mine.firstLine } : {});
      const done = await readParts(session, fileId, parts.oid);
      if (done.length < spec.count) {
        healthy = true;
        if ((await findPartsTable(session, config, fileId)).state === 'abandoned') {
          await dropAbandonedPartsTable(session, config, fileId, parts.oid);
          return untouched('failed', fileId, ABANDONED, part, { error: ABANDONED });
        }
        const waitingFor = Array.from({ length: spec.count }, (_, i) => i).filter((i) => !done.some((p) => p.part === i));
        healthy = true;
        return untouched('part-loaded', fileId, `part ${describePart(spec)} is loaded; waiting for parts ${waitingFor.join(', ')} (the last part to finish commits the file)`, part, { waitingFor });
      }
      const commit = partsCommitSink({ config, session, staging: parts.oid, parts: spec.count, snapshotWaitMs: deps.snapshotWaitMs, log: deps.log });
      // The parts are committed already: the file commits in one transaction, never in checkpointed chunks.
      const outcome = await processFile(source, { ...deps, force: false, checkpointEvery: 0, sinks: [commit] });
      // A newer version is loaded already, or this one is gone: its parts are of no use.
      if (outcome.status === 'superseded' || outcome.status === 'gone') await dropParts(session, config, fileId);
      healthy = true;
      return { ...outcome, part };
    } catch (err) {
      if (!(err instanceof InputError || err instanceof CannotSplitError)) throw err;
      if (parts) await abandonPartsTable(session, config, fileId, parts.oid);
      healthy = true;
      const failed = await recordFailure(source, deps, err);
      if (parts) await dropAbandonedPartsTable(session, config, fileId, parts.oid);
      return { ...failed, part: report('not-loaded') };
    }
  } finally {
    session.release(!healthy);
  }
}

/** Marks the attempt started and creates the parts table, under the file's claim; or says why not. */
async function startRound(
  session: Parameters<typeof findPartsTable>[0], source: FileSource, ref: FileRef, fileId: number, spec: PartSpec, config: PostgresTableSinkConfig,
  deps: PartDeps, untouched: (status: OutcomeStatus, fileId: number, reason: string, part: PartReport, extra?: Partial<PartOutcome>) => PartOutcome,
): Promise<LiveParts | PartOutcome> {
  const notLoaded: PartReport = { index: spec.index, count: spec.count, state: 'not-loaded' };
  const row = await readFileRow(session, fileId);
  if (FINAL_STATUSES.has(row.status) && !deps.force) {
    return untouched('duplicate', fileId, `this version was already ${row.status} (file_metadata id ${fileId}); run with --force to load it again`, notLoaded, {
      attempt: row.attempts, rows: row.rowsCount, rowsRejected: row.rowsRejected,
    });
  }
  if (row.status === 'failed' && row.errorKind === 'input' && !deps.retryInputErrors && !deps.force) {
    return untouched('duplicate', fileId, `this version already failed on its content: ${row.error}`, notLoaded, { error: row.error ?? undefined, errorKind: 'input' });
  }
  const budget = startBudget(deps.remainingMs, deps.finishMarginMs, deps.interrupt);
  try {
    const until = Date.now() + ROUND_WAIT_MS;
    for (;;) {
      const claimed = await deps.ledger.claim(ref, budget);
      if (claimed.kind === 'claimed') {
        let healthy = false;
        try {
          const again = await findPartsTable(session, config, fileId);
          if (again.state !== 'live') {
            // Not worth loading: the commit would find it superseded (the processor's rule, ../../core/process-file.ts).
            const newest = deps.force ? undefined : await claimed.claim.newestLoadedVersion();
            if (newest && isOlderThan({ sequencer: ref.sequencer ?? row.sequencer ?? null, modifiedAt: row.objectModifiedAt }, newest)) {
              const reason = supersededReason(source.description, newest.id);
              await claimed.claim.markSkipped('superseded', reason, new Date());
              healthy = true;
              return untouched('superseded', fileId, reason, notLoaded);
            }
            await claimed.claim.markStarted(new Date());
            const oid = await createPartsTable(session, config, fileId, spec.count);
            healthy = true;
            return { state: 'live', oid, parts: spec.count };
          }
          healthy = true;
          return again;
        } finally {
          await claimed.claim.release(healthy);
        }
      }
      if (Date.now() >= until) {
        return untouched('in-progress', fileId, `another run held ${source.description} for ${ROUND_WAIT_MS / 1000} s while this part waited to start loading it`, notLoaded, { retry: true });
      }
      await new Promise((r) => setTimeout(r, 200));
      const now = await findPartsTable(session, config, fileId);
      if (now.state === 'live') return now;
    }
  } finally {
    budget.dispose();
  }
}

/** Records a part's failure on the file's content as the file's, through the processing core (claim, result, notification). */
async function recordFailure(source: FileSource, deps: PartDeps, err: InputError | CannotSplitError): Promise<FileOutcome> {
  const outcome = await processFile(source, {
    ...deps,
    force: false,
    checkpointEvery: 0,
    retryInputErrors: true,
    sinks: [{ discard: async () => undefined, load: async () => { throw err; } }],
  });
  if (outcome.status === 'failed') return outcome;
  // Another run held the file (another part recording its failure): this part's error is still the answer.
  return { ...outcome, status: 'failed', error: err.message, errorKind: err instanceof InputError ? 'input' : 'internal' };
}

async function dropParts(session: Parameters<typeof findPartsTable>[0], config: PostgresTableSinkConfig, fileId: number): Promise<void> {
  if ((await findPartsTable(session, config, fileId)).state !== 'absent') await session.query(`DROP TABLE ${partsTableRef(config, fileId)}`);
  await forgetParts(session, fileId);
}
