/**
 * A prefix run: every object under a prefix whose key ends with the suffix,
 * processed with processFile one after the other in key order, then one
 * report (./run-report.ts) written through the ResultStorage. The CLI
 * (`run --prefix`, the container processors' scheduled runs) and the
 * Lambda's scheduled run both use it; the host decides what the outcome
 * means for it (an exit code, a thrown error that asks for a retry).
 *
 * It stops starting files when the host interrupts it (SIGTERM/SIGINT) or
 * when the time the host leaves (`remainingMs`) is under the longest file
 * seen so far plus the finish margin: a file started later would likely be
 * cut off by the host's limit. The files left are `notStarted` in the report;
 * a later run of the same prefix finds the finished ones as duplicates (the
 * claims in file_metadata are exactly once) and goes on with the rest.
 * With report sinks the report also merges the files' aggregates, those of
 * the duplicates read back from their result documents (`readResult`).
 */
import { FINISH_MARGIN_MS } from './deadline';
import { FileOutcome } from './outcome';
import { processFile, ProcessDeps } from './process-file';
import {
  countFiles, notStartedFile, PrefixRunRequest, reportFile, reportName, RunReport, RunReportFile,
} from './run-report';
import { errorMessage } from '../contract/logger';
import { FileSource } from '../contract/source';
import { ResultReader, runAggregates } from '../report/run-aggregates';

export interface PrefixRunDeps extends ProcessDeps {
  /** Every key under `prefix` of `bucket`, in key order. */
  readonly listKeys: (bucket: string, prefix: string, signal?: AbortSignal) => Promise<string[]>;
  /** The source of the current version of one listed key. */
  readonly sourceFor: (bucket: string, key: string) => FileSource;
  /** Keys the pipeline wrote itself (results/, rejects/, reports/, backup/ of its buckets): never processed. */
  readonly isOwnOutput?: (bucket: string, key: string) => boolean;
  /** Called with each file's outcome as soon as it is known (the CLI prints it). */
  readonly onFile?: (outcome: FileOutcome) => void;
  /**
   * Reads a key's result document back (`s3ResultReader`, `localResultReader`
   * of ../report): the report's aggregates include the duplicates' summaries
   * from there. Unset: duplicates are listed in `aggregates[].notIncluded`.
   */
  readonly readResult?: ResultReader;
}

export interface PrefixRunResult {
  readonly report: RunReport;
  /** Where the report was written; absent when writing it failed (`reportError`). */
  readonly reportLocation?: string;
  readonly reportError?: string;
  readonly outcomes: readonly FileOutcome[];
}

export async function runPrefix(request: PrefixRunRequest, deps: PrefixRunDeps): Promise<PrefixRunResult> {
  const clock = deps.clock ?? (() => new Date());
  const started = clock();
  const { bucket, prefix, suffix } = request;
  const outcomes: FileOutcome[] = [];
  const files: RunReportFile[] = [];
  let listError: string | undefined;
  let stoppedBecause: RunReport['stoppedBecause'];

  let keys: string[] = [];
  try {
    keys = await deps.listKeys(bucket, prefix, deps.interrupt);
  } catch (err) {
    listError = `cannot list s3://${bucket}/${prefix}: ${errorMessage(err)}`;
    if (deps.interrupt?.aborted) stoppedBecause = 'interrupted';
    deps.log.error('prefix run could not list its objects', { bucket, prefix, error: listError });
  }
  const selected = keys.filter((k) => k.endsWith(suffix) && !k.endsWith('/') && !deps.isOwnOutput?.(bucket, k));
  if (listError === undefined) {
    deps.log.info('objects to process', { bucket, prefix, suffix, listed: keys.length, selected: selected.length });
  }

  const marginMs = deps.finishMarginMs ?? FINISH_MARGIN_MS;
  let longestMs = 0;
  for (const [i, key] of selected.entries()) {
    if (deps.interrupt?.aborted) stoppedBecause = 'interrupted';
    else if (deps.remainingMs && deps.remainingMs() < longestMs + marginMs) stoppedBecause = 'time';
    if (stoppedBecause) {
      const rest = selected.slice(i);
      files.push(...rest.map(notStartedFile));
      deps.log.warn('prefix run stopped starting files', {
        bucket, prefix, because: stoppedBecause, notStarted: rest.length, remainingMs: deps.remainingMs?.(), longestFileMs: longestMs,
      });
      break;
    }
    const began = Date.now();
    const outcome = await processFile(deps.sourceFor(bucket, key), deps);
    longestMs = Math.max(longestMs, Date.now() - began);
    outcomes.push(outcome);
    files.push(reportFile(outcome));
    deps.onFile?.(outcome);
  }

  let aggregates: Awaited<ReturnType<typeof runAggregates>>;
  try {
    aggregates = await runAggregates(deps.sinks, outcomes, deps.readResult ?? deps.storage.readResult?.bind(deps.storage));
  } catch (err) {
    // The counts and files are the report's core: write them whatever happened to the aggregates.
    deps.log.error('prefix run aggregates not computed', { bucket, prefix, error: errorMessage(err) });
  }
  const report: RunReport = {
    bucket,
    prefix,
    ...(request.date !== undefined ? { date: request.date } : {}),
    suffix,
    ...(request.runTime !== undefined ? { scheduledTime: request.runTime } : {}),
    started: started.toISOString(),
    finished: clock().toISOString(),
    complete: listError === undefined && stoppedBecause === undefined,
    ...(stoppedBecause ? { stoppedBecause } : {}),
    ...(listError !== undefined ? { error: listError } : {}),
    counts: countFiles(files),
    ...(aggregates ? { aggregates } : {}),
    files,
  };
  try {
    const reportLocation = await deps.storage.writeReport(reportName(request, started), report);
    deps.log.info('prefix run report written', { report: reportLocation, ...report.counts });
    deps.metrics?.recordReport?.();
    return { report, reportLocation, outcomes };
  } catch (err) {
    const reportError = `cannot write the run report: ${errorMessage(err)}`;
    deps.log.error('prefix run report not written', { bucket, prefix, error: reportError });
    return { report, reportError, outcomes };
  }
}
