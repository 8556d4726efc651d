/**
 * Where the runtime writes in the output and backup buckets. The construct
 * grants the processor exactly these prefixes and puts the backup lifecycle
 * rule on the backup one, so both sides read them from here.
 */
export const RESULTS_PREFIX = 'results/';
export const REJECTS_PREFIX = 'rejects/';
export const BACKUP_PREFIX = 'backup/';
