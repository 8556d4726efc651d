/**
 * The Lambda's scheduled run: EventBridge Scheduler invokes the function with
 * `{"scheduledRun": {"bucket", "prefix", "suffix", "scheduledTime",
 * "timeZone"}}` (src/processor/scheduled-run.ts). `{date}` in the prefix
 * becomes the scheduled time's date in `timeZone`, and the invocation
 * processes every matching object itself, one after the other, with the same
 * prefix run as the CLI (../core/prefix-run.ts), and writes the report.
 *
 * One invocation processes the whole prefix, within its time budget
 * (`getRemainingTimeInMillis`): it stops starting files when the time left is
 * under the longest file so far plus the finish margin, writes the report
 * with the rest as `notStarted`, and throws, so the invocation is retried
 * (Scheduler invokes Lambda asynchronously: Lambda's asynchronous retries,
 * two by default). The retry finds the files already done as duplicates
 * (exactly-once claims in file_metadata) and continues with the rest. A file
 * that failed for a reason of the pipeline also makes the invocation throw;
 * a content failure is final and does not. So a prefix suits the Lambda when
 * its files fit in about three invocations; larger prefixes belong on a
 * container processor (Fargate, Batch), whose run has no time limit.
 */
import type { EventDeps } from './handle-event';
import { checkTimeZone, daysBefore, parseDaysBefore, parseRunDate, resolvePrefix } from './run-date';
import { s3PrefixAccess } from './s3-listing';
import { runPrefix } from '../core/prefix-run';
import { RunCounts } from '../core/run-report';

/** The payload, as EventBridge Scheduler sends it. */
export interface ScheduledRunPayload {
  readonly bucket: string;
  /** May contain `{date}`. */
  readonly prefix: string;
  readonly suffix: string;
  /** ISO 8601 (`<aws.scheduler.scheduled-time>`), or a YYYY-MM-DD date for a manual invocation. */
  readonly scheduledTime: string;
  /** IANA name. */
  readonly timeZone: string;
  /** `{date}` is the scheduled date this many days before (0 when absent). */
  readonly daysBefore: number;
}

export interface ScheduledRunResult {
  readonly scheduledRun: {
    readonly bucket: string;
    readonly prefix: string;
    readonly date?: string;
    readonly report: string;
    readonly counts: RunCounts;
  };
}

/** An invocation with a `scheduledRun` field (whatever its content: a malformed one is an error, not another event). */
export function isScheduledRunEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'scheduledRun' in event;
}

function field(run: Record<string, unknown>, name: keyof ScheduledRunPayload, allowEmpty: boolean): string {
  const value = run[name];
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw new Error(`scheduledRun.${name} must be a ${allowEmpty ? '' : 'non-empty '}string, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  }
  return value;
}

/** Throws naming the field (`scheduledRun.timeZone ...`) when the payload is malformed. */
export function parseScheduledRun(event: unknown): ScheduledRunPayload {
  const run = (event as { scheduledRun?: unknown }).scheduledRun;
  if (typeof run !== 'object' || run === null || Array.isArray(run)) {
    throw new Error(`scheduledRun must be an object with bucket, prefix, suffix, scheduledTime and timeZone, got ${JSON.stringify(run)}`);
  }
  const r = run as Record<string, unknown>;
  return {
    bucket: field(r, 'bucket', false),
    prefix: field(r, 'prefix', true),
    suffix: field(r, 'suffix', true),
    scheduledTime: field(r, 'scheduledTime', false),
    timeZone: checkTimeZone(field(r, 'timeZone', false), 'scheduledRun.timeZone'),
    daysBefore: r.daysBefore === undefined ? 0 : parseDaysBefore(r.daysBefore, 'scheduledRun.daysBefore'),
  };
}

export async function handleScheduledRun(event: unknown, deps: EventDeps): Promise<ScheduledRunResult> {
  const payload = parseScheduledRun(event);
  const when = parseRunDate(payload.scheduledTime, 'scheduledRun.scheduledTime', payload.timeZone);
  const date = payload.prefix.includes('{date}') ? daysBefore(when.date, payload.daysBefore) : undefined;
  const prefix = resolvePrefix(payload.prefix, date);
  const { report, reportLocation, reportError, outcomes } = await runPrefix(
    { bucket: payload.bucket, prefix, date, suffix: payload.suffix, runTime: when.instant },
    { ...deps, ...s3PrefixAccess(deps.s3, deps.ownOutputs) },
  );
  const where = `scheduled run of s3://${payload.bucket}/${prefix}*${payload.suffix}`;
  const problems: string[] = [];
  if (report.error !== undefined) problems.push(report.error);
  if (report.stoppedBecause === 'time') {
    problems.push(`${report.counts.notStarted} of ${report.counts.files} files not started: the invocation's time was running out; `
      + 'the retry skips the files done (duplicates) and processes the rest');
  }
  const retried = outcomes.filter((o) => o.retry);
  if (retried.length > 0) problems.push(`${retried.length} files must be retried: ${retried.map((o) => `${o.key}: ${o.error ?? o.reason}`).join('; ')}`);
  if (reportError !== undefined) problems.push(reportError);
  if (problems.length > 0) {
    throw new Error(`${where}: ${problems.join('; ')}${reportLocation ? ` (report: ${reportLocation})` : ''}`);
  }
  return {
    scheduledRun: { bucket: payload.bucket, prefix, ...(date !== undefined ? { date } : {}), report: reportLocation!, counts: report.counts },
  };
}
