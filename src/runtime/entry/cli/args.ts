/**
 * Command-line parsing. Each command declares its options in one table
 * (node's util.parseArgs format) and maps them to typed arguments, so a new
 * flag is one entry there and one line in the mapping.
 */
import { parseArgs, ParseArgsConfig } from 'util';
import { sinksFromFlags } from './sink-options';
import { DEFAULT_OUTPUT_DIR } from './usage';
import { ENV } from '../../../shared/env';
import { SinkConfig } from '../../../shared/sink-config';
import { ConfigError, parseCheckpointEvery, parseSslMode, SslMode } from '../../contract/config';
import { parsePart, partFromEnv, PartSpec } from '../../load/parts/part-spec';
import {
  checkTimeZone, dateIn, daysBefore, DEFAULT_TIME_ZONE, parseDaysBefore, parseRunDate, resolvePrefix, RunDate, RunDateError,
} from '../run-date';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const PROCESS_OPTIONS = {
  'database-url': { type: 'string' },
  'output-dir': { type: 'string', short: 'o' },
  'ssl': { type: 'string' },
  'ca-file': { type: 'string' },
  'config': { type: 'string', short: 'c' },
  'table': { type: 'string' },
  'schema': { type: 'string' },
  'column': { type: 'string', multiple: true },
  'bad-rows': { type: 'string' },
  'extra-columns': { type: 'string' },
  'previous-versions': { type: 'string' },
  'parallelism': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'part': { type: 'string' },
  'kafka-brokers': { type: 'string' },
  'kafka-topic': { type: 'string' },
  'kafka-key-column': { type: 'string' },
  'kafka-at-least-once': { type: 'boolean' },
  'kafka-auth': { type: 'string' },
  'kafka-secret-arn': { type: 'string' },
  'kafka-ca-file': { type: 'string' },
  'kafka-region': { type: 'string' },
  'kafka-checkpoint-every': { type: 'string' },
  'force': { type: 'boolean' },
  'verbose': { type: 'boolean', short: 'v' },
  'help': { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export interface ProcessArgs {
  readonly file: string;
  readonly databaseUrl: string;
  readonly outputDir: string;
  readonly sslMode?: SslMode;
  readonly caFile?: string;
  readonly verbose: boolean;
  /** Process the file even if file_metadata says it was processed already. */
  readonly force: boolean;
  /** Row sinks: a table to load (--config or --table/--column) and Kafka topics (--config or --kafka-*). */
  readonly sinks: SinkConfig[];
  /** Rows per checkpointed chunk (--checkpoint-every, else $PIPELINE_CHECKPOINT_EVERY); unset: one transaction per file. */
  readonly checkpointEvery?: number;
  /** --part i/N: load part i of N of the file; the last part to finish commits it. */
  readonly part?: PartSpec;
}

export const RUN_OPTIONS = {
  'bucket': { type: 'string' },
  'key': { type: 'string' },
  'version-id': { type: 'string' },
  'sequencer': { type: 'string' },
  'prefix': { type: 'string' },
  'date': { type: 'string' },
  'time-zone': { type: 'string' },
  'days-before': { type: 'string' },
  'suffix': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'part': { type: 'string' },
  'force': { type: 'boolean' },
  'help': { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Environment variable with the keys `run --prefix` processes (default `.csv`; `--suffix` wins). */
export const SUFFIX_ENV = 'PIPELINE_SUFFIX';
/** Environment variable with the default of `run --date` (the nightly-reports design's manual runs set it). */
export const RUN_DATE_ENV = 'RUN_DATE';
export const DEFAULT_SUFFIX = '.csv';

export type RunTarget =
  | {
    readonly kind: 'object';
    readonly key: string;
    readonly versionId?: string;
    /** The upload event's sequencer (orders the versions of the key); absent for a manual run. */
    readonly sequencer?: string;
  }
  | {
    readonly kind: 'prefix';
    readonly prefix: string;
    readonly template: string;
    /** The date put in for `{date}`; absent when the prefix has none. */
    readonly date?: string;
    readonly suffix: string;
    /** The instant --date gave (a scheduled run's scheduled time), ISO 8601 UTC; names the report of an undated prefix. */
    readonly runTime?: string;
  };

export interface RunArgs {
  readonly bucket: string;
  readonly target: RunTarget;
  /** Process the version(s) even if file_metadata says they were processed already. */
  readonly force: boolean;
  /** --checkpoint-every; unset: the processor's $PIPELINE_CHECKPOINT_EVERY. */
  readonly checkpointEvery?: number;
  /** --key only: the part of the object to load (--part, else $PIPELINE_PARTS with $AWS_BATCH_JOB_ARRAY_INDEX). */
  readonly part?: PartSpec;
}

export type Command =
  | { readonly name: 'help'; readonly topic?: 'process' | 'run' }
  | { readonly name: 'process'; readonly args: ProcessArgs }
  | { readonly name: 'run'; readonly args: RunArgs };

/** parseArgs messages carry a long hint about `--`; the first sentence is the useful part. */
function rethrowAsUsage(err: unknown): never {
  const message = (err as Error).message.split('. ')[0];
  throw new UsageError(message);
}

export function parseCommand(argv: readonly string[], env: Record<string, string | undefined>): Command {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('Missing command');
  if (command === 'help' || command === '--help' || command === '-h') return { name: 'help' };
  if (command === 'run') return parseRun(rest, env);
  if (command !== 'process') throw new UsageError(`Unknown command "${command}"`);

  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: PROCESS_OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    rethrowAsUsage(err);
  }
  const { values, positionals } = parsed;
  if (values.help) return { name: 'help', topic: 'process' };
  if (positionals.length === 0) throw new UsageError('Missing the CSV file to process');
  if (positionals.length > 1) throw new UsageError(`Expected one file, got ${positionals.length}: ${positionals.join(' ')}`);
  const databaseUrl = values['database-url'] ?? env.DATABASE_URL;
  if (!databaseUrl) throw new UsageError('Missing --database-url (or the DATABASE_URL environment variable)');
  let sslMode: SslMode | undefined;
  try {
    sslMode = parseSslMode(values.ssl, '--ssl') ?? parseSslMode(env.PIPELINE_DB_SSL, 'PIPELINE_DB_SSL');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    name: 'process',
    args: {
      file: positionals[0],
      databaseUrl,
      outputDir: values['output-dir'] ?? DEFAULT_OUTPUT_DIR,
      sslMode,
      caFile: values['ca-file'] ?? env.PIPELINE_DB_CA_FILE,
      verbose: values.verbose ?? false,
      force: values.force ?? false,
      ...partOf(values.part, values['checkpoint-every'], env),
      sinks: sinksFromFlags({
        config: values.config,
        table: values.table,
        schema: values.schema,
        columns: values.column,
        badRows: values['bad-rows'],
        extraColumns: values['extra-columns'],
        previousVersions: values['previous-versions'],
        parallelism: values.parallelism,
        kafka: {
          brokers: values['kafka-brokers'],
          topic: values['kafka-topic'],
          keyColumn: values['kafka-key-column'],
          atLeastOnce: values['kafka-at-least-once'],
          auth: values['kafka-auth'],
          secretArn: values['kafka-secret-arn'],
          caFile: values['kafka-ca-file'],
          region: values['kafka-region'],
          checkpointEvery: values['kafka-checkpoint-every'],
        },
      }),
    },
  };
}

/** Today in UTC as YYYY-MM-DD. */
export function utcDate(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Errors of the shared parsers, as usage errors naming the flag or variable. */
function usage<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof RunDateError || err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** --checkpoint-every wins; the environment variable is for `process` (`run` reads it with the rest of the processor's environment). */
function checkpointEveryOf(flag: string | undefined, env?: Record<string, string | undefined>): number | undefined {
  const fromFlag = usage(() => parseCheckpointEvery(flag, '--checkpoint-every'));
  if (fromFlag !== undefined || !env) return fromFlag;
  const fromEnv = env[ENV.CHECKPOINT_EVERY]?.trim();
  return fromEnv ? usage(() => parseCheckpointEvery(fromEnv, ENV.CHECKPOINT_EVERY)) : undefined;
}

/**
 * --part i/N (a process of its own loads each part; each commits on its own,
 * so no checkpoints). Without --part, `process` reads $PIPELINE_CHECKPOINT_EVERY.
 */
function partOf(
  flag: string | undefined, checkpointFlag: string | undefined, env?: Record<string, string | undefined>,
): { part?: PartSpec; checkpointEvery?: number } {
  if (flag === undefined) return { checkpointEvery: checkpointEveryOf(checkpointFlag, env) };
  if (checkpointFlag !== undefined) throw new UsageError('--part and --checkpoint-every: each part of a split file commits on its own already; use one of them');
  return { part: usage(() => parsePart(flag)) };
}

/** EventBridge input transformers put "" for an absent field (unversioned buckets): "" means absent. */
function present(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function parseRun(rest: readonly string[], env: Record<string, string | undefined>): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: RUN_OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    rethrowAsUsage(err);
  }
  const { values, positionals } = parsed;
  if (values.help) return { name: 'help', topic: 'run' };
  if (positionals.length > 0) throw new UsageError(`run takes no positional arguments, got: ${positionals.join(' ')} (use --key or --prefix)`);
  const bucket = values.bucket;
  if (bucket === undefined || bucket === '') throw new UsageError('Missing --bucket (the input bucket)');
  const { key, prefix } = values;
  if (key !== undefined && prefix !== undefined) throw new UsageError('--key and --prefix both name what to process: use one of them');
  if (key === undefined && prefix === undefined) throw new UsageError('Missing --key (one object) or --prefix (every object under it)');
  const force = values.force ?? false;
  const split = partOf(values.part, values['checkpoint-every']);
  const checkpointEvery = split.checkpointEvery;
  const common = { bucket, force, ...(checkpointEvery !== undefined ? { checkpointEvery } : {}) };
  const part = split.part ?? usage(() => partFromEnv(env));
  if (key !== undefined) {
    if (key === '') throw new UsageError('--key must not be empty');
    for (const flag of ['date', 'time-zone', 'days-before', 'suffix'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --prefix, not --key`);
    }
    const versionId = present(values['version-id']);
    const sequencer = present(values.sequencer);
    if (sequencer !== undefined && !/^[0-9A-Fa-f]+$/.test(sequencer)) {
      throw new UsageError(`--sequencer must be the hexadecimal sequencer of an S3 event, got ${JSON.stringify(sequencer)}`);
    }
    const target = { kind: 'object' as const, key, ...(versionId !== undefined ? { versionId } : {}), ...(sequencer !== undefined ? { sequencer } : {}) };
    return { name: 'run', args: { ...common, target, ...(part ? { part } : {}) } };
  }
  if (values.part !== undefined) throw new UsageError('--part goes with --key (one object split across processes), not --prefix');
  if (part) throw new UsageError('$AWS_BATCH_JOB_ARRAY_INDEX and $PIPELINE_PARTS split one object (--key) across an array job, not a --prefix run');
  for (const flag of ['version-id', 'sequencer'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --key, not --prefix`);
  }
  const template = prefix!;
  const hasDate = template.includes('{date}');
  const timeZone = usage(() => checkTimeZone(values['time-zone'] ?? DEFAULT_TIME_ZONE, '--time-zone'));
  const given: RunDate | undefined = values.date !== undefined
    ? usage(() => parseRunDate(values.date!, '--date', timeZone))
    : hasDate && env[RUN_DATE_ENV] ? usage(() => parseRunDate(env[RUN_DATE_ENV]!, RUN_DATE_ENV, timeZone)) : undefined;
  // A calendar date for a prefix without {date} is a mistake; an instant (a schedule's time) only names the report.
  if (values.date !== undefined && !hasDate && given?.instant === undefined) {
    throw new UsageError(`--date is given but --prefix ${JSON.stringify(template)} has no {date} to replace`);
  }
  const suffix = values.suffix ?? env[SUFFIX_ENV] ?? DEFAULT_SUFFIX;
  const back = values['days-before'] === undefined ? 0 : usage(() => parseDaysBefore(values['days-before'], '--days-before'));
  if (back > 0 && !hasDate) throw new UsageError(`--days-before is given but --prefix ${JSON.stringify(template)} has no {date} to replace`);
  const date = hasDate ? daysBefore(given?.date ?? dateIn(new Date(), timeZone), back) : undefined;
  const target = {
    kind: 'prefix' as const,
    template,
    prefix: resolvePrefix(template, date),
    ...(date !== undefined ? { date } : {}),
    suffix,
    ...(given?.instant !== undefined ? { runTime: given.instant } : {}),
  };
  return { name: 'run', args: { ...common, target } };
}
