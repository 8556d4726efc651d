import { TimeZone } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { assertNoSelfTrigger } from './self-trigger';
import { Trigger, TriggerBindContext } from './trigger';

/** The one placeholder a scheduled prefix may hold. */
const DATE_PLACEHOLDER = '{date}';
/** S3 keys (and so prefixes and suffixes) are at most 1024 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * Options of `Trigger.schedule()`.
 */
export interface ScheduleTriggerOptions {
  /**
   * When the run starts: `ScheduleExpression.cron({ hour: '2', minute: '0',
   * timeZone: TimeZone.EUROPE_LONDON })`, `ScheduleExpression.rate(...)`, or a
   * one-off `ScheduleExpression.at(...)`.
   */
  readonly schedule: scheduler.ScheduleExpression;

  /**
   * Every object of the input bucket under this prefix is processed, one after
   * the other. `{date}` is replaced with the run's date (YYYY-MM-DD) in
   * `timeZone`, so `raw-data/{date}/` reads `raw-data/2026-01-15/` on the run
   * scheduled for that day. No wildcards, and no other placeholder. When the
   * input bucket is also the output or backup bucket, the prefix must neither
   * start with nor be the start of `results/`, `rejects/`, `reports/` or
   * `backup/` (where the processor writes).
   */
  readonly prefix: string;

  /**
   * Only keys ending with this suffix are processed (case-sensitive, like S3's
   * filters); `''` processes every key under the prefix.
   *
   * @default '.csv'
   */
  readonly suffix?: string;

  /**
   * Time zone in which the scheduled time becomes the run's `{date}`.
   *
   * @default - the time zone of `schedule`, else UTC
   */
  readonly timeZone?: TimeZone;

  /**
   * `{date}` is the scheduled time's date this many days before: 1 makes a
   * run at 02:00 process the previous day's folder (`raw-data/2026-01-14/`
   * on the night of the 15th). A whole number from 0 to 366; needs `{date}`
   * in `prefix`.
   *
   * @default 0 - the scheduled time's own date
   */
  readonly daysBefore?: number;

  /**
   * Description of the schedule.
   *
   * @default - one naming the prefix and suffix
   */
  readonly description?: string;
}

/**
 * Processes every object under a (dated) prefix on a schedule (EventBridge
 * Scheduler), and writes one report per run to the output bucket
 * (`reports/<date>.json` for a prefix with `{date}`, else
 * `reports/<prefix>-<time>.json`). With a container processor the schedule
 * starts `run --prefix` in a task or job; with a Lambda processor one
 * invocation lists the prefix and processes its files one after the other
 * within the function's timeout, and what it could not start is processed by
 * the invocation's retry (large prefixes belong on a container processor).
 * Not exported from the package: use `Trigger.schedule()`.
 */
export class ScheduleTrigger extends Trigger {
  private readonly suffix: string;

  constructor(private readonly options: ScheduleTriggerOptions) {
    super();
    validateScheduleOptions(options);
    this.suffix = options.suffix ?? '.csv';
  }

  public bind(scope: Construct, context: TriggerBindContext): void {
    const { prefix } = this.options;
    // The dated part changes every run; what stays is the start before the first placeholder.
    const fixedStart = prefix.split('{')[0];
    assertNoSelfTrigger('Trigger.schedule()', context, fixedStart, prefix);
    context.processor.addScheduledRun(scope, uniqueId(scope), {
      schedule: this.options.schedule,
      bucket: context.inputBucket,
      prefix,
      suffix: this.suffix,
      timeZone: this.options.timeZone,
      daysBefore: this.options.daysBefore,
      description: this.options.description,
    });
  }
}

/** `Schedule1`, `Schedule2`, ... in the order the triggers are bound. */
function uniqueId(scope: Construct): string {
  let n = 1;
  while (scope.node.tryFindChild(`Schedule${n}`)) n++;
  return `Schedule${n}`;
}

function validateScheduleOptions(o: ScheduleTriggerOptions): void {
  const where = 'Trigger.schedule()';
  if (o.schedule === undefined) throw new Error(`${where}: schedule is required, e.g. ScheduleExpression.cron({ hour: '2', minute: '0' })`);
  const prefix = o.prefix;
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new Error(`${where}: prefix is required and must not be empty (got '${prefix ?? ''}'), e.g. 'raw-data/{date}/'; a schedule processes the objects under one prefix`);
  }
  if (Buffer.byteLength(prefix, 'utf8') > MAX_KEY_BYTES) throw new Error(`${where}: prefix must be at most ${MAX_KEY_BYTES} bytes (got ${Buffer.byteLength(prefix, 'utf8')})`);
  if (/[*?]/.test(prefix)) {
    throw new Error(`${where}: prefix must not contain wildcards (got '${prefix}'); it is a literal key prefix, with {date} for the run's date`);
  }
  const placeholders = prefix.match(/\{[^{}]*\}/g) ?? [];
  const unknown = placeholders.find((p) => p !== DATE_PLACEHOLDER);
  if (unknown !== undefined) {
    throw new Error(`${where}: prefix '${prefix}' has the unknown placeholder ${unknown}; only ${DATE_PLACEHOLDER} (the run's date, YYYY-MM-DD) is replaced`);
  }
  if (/[{}]/.test(prefix.split(DATE_PLACEHOLDER).join(''))) {
    throw new Error(`${where}: prefix '${prefix}' has a '{' or '}' outside ${DATE_PLACEHOLDER}; only ${DATE_PLACEHOLDER} (the run's date, YYYY-MM-DD) is replaced`);
  }
  const suffix = o.suffix;
  if (suffix !== undefined && (Buffer.byteLength(suffix, 'utf8') > MAX_KEY_BYTES || /[*?]/.test(suffix))) {
    throw new Error(`${where}: suffix must be at most ${MAX_KEY_BYTES} bytes without wildcards (got '${suffix}'); '' processes every key under the prefix`);
  }
  const back = o.daysBefore;
  if (back !== undefined && (!Number.isInteger(back) || back < 0 || back > 366)) {
    throw new Error(`${where}: daysBefore must be a whole number of days from 0 to 366 (got ${back})`);
  }
  if (back && !prefix.includes(DATE_PLACEHOLDER)) {
    throw new Error(`${where}: daysBefore is set but prefix '${prefix}' has no ${DATE_PLACEHOLDER} for it to change`);
  }
  if (o.description !== undefined && o.description.length > 512) {
    throw new Error(`${where}: description must be at most 512 characters, EventBridge Scheduler's limit (got ${o.description.length})`);
  }
}
