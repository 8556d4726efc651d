/**
 * Where the runtime writes in the output and backup buckets. The construct
 * grants the processor exactly these prefixes and puts the backup lifecycle
 * rule on the backup one, so both sides read them from here.
 */
export const RESULTS_PREFIX = 'results/';
export const REJECTS_PREFIX = 'rejects/';
export const BACKUP_PREFIX = 'backup/';
/** One report per prefix run (`run --prefix`, a scheduled run), in the output bucket. */
export const REPORTS_PREFIX = 'reports/';

/** Every prefix the processor writes under in the output bucket. */
export const OUTPUT_PREFIXES = [RESULTS_PREFIX, REJECTS_PREFIX, REPORTS_PREFIX] as const;
