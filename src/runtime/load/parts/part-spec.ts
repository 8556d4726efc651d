/**
 * Which part of a file this process loads: `--part i/N` (parts counted from
 * 0), or in an AWS Batch array job `PIPELINE_PARTS=N` with the index Batch
 * gives each child in `AWS_BATCH_JOB_ARRAY_INDEX`.
 */
import { ConfigError } from '../../contract/config';

export interface PartSpec {
  /** 0 to count - 1. */
  readonly index: number;
  /** How many parts the file is split into (2 or more). */
  readonly count: number;
}

/** Most parts a file may be split into (AWS Batch's largest array job). */
export const MAX_PARTS = 10_000;
/** Environment variable with the number of parts of an array job (set by `Processor.batch({ arraySize })`). */
export const PARTS_ENV = 'PIPELINE_PARTS';
/** Set by AWS Batch on each child of an array job: 0 to size - 1. */
export const ARRAY_INDEX_ENV = 'AWS_BATCH_JOB_ARRAY_INDEX';

function count(text: string, source: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 2 || n > MAX_PARTS) {
    throw new ConfigError(`${source}: the number of parts must be a whole number from 2 to ${MAX_PARTS}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** `i/N` as `--part` takes it; errors name `source` (the option) and the value. */
export function parsePart(text: string, source = '--part'): PartSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ConfigError(`${source} must be i/N (this process loads part i of N, counted from 0, e.g. 0/4), got ${JSON.stringify(text)}`);
  const n = count(m[2], source);
  const index = Number(m[1]);
  if (index >= n) throw new ConfigError(`${source} ${text.trim()}: part ${index} does not exist in ${n} parts (they are 0 to ${n - 1})`);
  return { index, count: n };
}

/**
 * The part of an AWS Batch array job child: `PIPELINE_PARTS` (set on the
 * job definition) with `AWS_BATCH_JOB_ARRAY_INDEX` (set by Batch on each
 * child). Undefined unless both are set: the same job definition run as a
 * plain job (a schedule, a manual run) loads the whole file in one process.
 */
export function partFromEnv(env: Record<string, string | undefined>): PartSpec | undefined {
  const parts = env[PARTS_ENV]?.trim();
  const index = env[ARRAY_INDEX_ENV]?.trim();
  if (!parts || index === undefined || index === '') return undefined;
  const n = count(parts, PARTS_ENV);
  return parsePart(`${index}/${n}`, `${ARRAY_INDEX_ENV}=${index} with ${PARTS_ENV}=${n}`);
}

export function describePart(p: PartSpec): string {
  return `${p.index}/${p.count}`;
}
