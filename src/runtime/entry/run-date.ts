/**
 * The date of a prefix run, which `{date}` in the prefix stands for. Given
 * as a calendar date (YYYY-MM-DD, used as it is) or as an instant in ISO 8601
 * with a zone designator (EventBridge Scheduler's
 * `<aws.scheduler.scheduled-time>`, e.g. `2026-01-15T02:00:00Z`), which
 * becomes the calendar date in the run's time zone: a nightly run at 00:30
 * Europe/London in summer is scheduled at 23:30Z the day before, and must
 * read the London day's folder.
 *
 * Every error names where the value came from (a flag, an environment
 * variable, a payload field), so both the CLI and the Lambda can pass it on.
 */

export const DEFAULT_TIME_ZONE = 'UTC';

export class RunDateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDateError';
  }
}

/** A run's date: the calendar date for `{date}`, and the instant it came from, if it was one. */
export interface RunDate {
  /** YYYY-MM-DD. */
  readonly date: string;
  /** The instant given (normalised to ISO 8601 UTC); absent when a calendar date was given. */
  readonly instant?: string;
}

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Throws unless `timeZone` is an IANA time zone name the runtime knows (Intl). */
export function checkTimeZone(timeZone: string, source: string): string {
  if (timeZone.trim() === '') throw new RunDateError(`${source} must be an IANA time zone name such as Europe/London or UTC, got ""`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new RunDateError(`${source} must be an IANA time zone name such as Europe/London or UTC, got ${JSON.stringify(timeZone)}`);
  }
  return timeZone;
}

function isCalendarDate(value: string): boolean {
  const m = CALENDAR_DATE.exec(value);
  return m !== null && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
}

/** The calendar date (YYYY-MM-DD) of `instant` in `timeZone`. */
export function dateIn(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/**
 * Reads a run date given as YYYY-MM-DD or as an ISO 8601 instant with `Z` or
 * an offset; an instant is turned into the date in `timeZone`.
 */
export function parseRunDate(value: string, source: string, timeZone: string = DEFAULT_TIME_ZONE): RunDate {
  if (isCalendarDate(value)) return { date: value };
  const m = INSTANT.exec(value);
  const at = m ? new Date(value) : undefined;
  const hour = m ? Number(m[2]) : 0;
  const minute = m ? Number(m[3]) : 0;
  const second = m?.[4] !== undefined ? Number(m[4]) : 0;
  if (!m || !isCalendarDate(m[1]) || hour > 23 || minute > 59 || second > 59 || Number.isNaN(at!.getTime())) {
    throw new RunDateError(`${source} must be a date as YYYY-MM-DD or an ISO 8601 time with a zone such as 2026-01-15T02:00:00Z, got ${JSON.stringify(value)}`);
  }
  return { date: dateIn(at!, timeZone), instant: at!.toISOString() };
}

/** How many days before the run's date `{date}` may be set back (`--days-before`, `daysBefore`). */
export const MAX_DAYS_BEFORE = 366;

/** The calendar date `days` days before `date` (YYYY-MM-DD). */
export function daysBefore(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() - days);
  return at.toISOString().slice(0, 10);
}

/** Reads a number of days before the run's date: a whole number from 0 to MAX_DAYS_BEFORE. */
export function parseDaysBefore(value: unknown, source: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_DAYS_BEFORE) {
    throw new RunDateError(`${source} must be a whole number of days from 0 to ${MAX_DAYS_BEFORE}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Puts `date` in for every `{date}` of the prefix template. */
export function resolvePrefix(template: string, date: string | undefined): string {
  return date === undefined ? template : template.split('{date}').join(date);
}
