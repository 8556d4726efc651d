/**
 * Command-line parsing. Each command declares its options in one table
 * (node's util.parseArgs format) and maps them to typed arguments, so a new
 * flag is one entry there and one line in the mapping.
 */
import { parseArgs, ParseArgsConfig } from 'util';
import { sinksFromFlags } from './sink-options';
import { DEFAULT_OUTPUT_DIR } from './usage';
import { SinkConfig } from '../../../shared/sink-config';
import { parseSslMode, SslMode } from '../../contract/config';

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
  /** Row sinks (a table to load), from --config or --table/--column. */
  readonly sinks: SinkConfig[];
}

export const RUN_OPTIONS = {
  'bucket': { type: 'string' },
  'key': { type: 'string' },
  'version-id': { type: 'string' },
  'prefix': { type: 'string' },
  'date': { type: 'string' },
  'suffix': { type: 'string' },
  'force': { type: 'boolean' },
  'help': { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Environment variable with the keys `run --prefix` processes (default `.csv`; `--suffix` wins). */
export const SUFFIX_ENV = 'PIPELINE_SUFFIX';
/** Environment variable with the default of `run --date` (seed 003's manual runs set it). */
export const RUN_DATE_ENV = 'RUN_DATE';
export const DEFAULT_SUFFIX = '.csv';

export type RunTarget =
  | { readonly kind: 'object'; readonly key: string; readonly versionId?: string }
  | {
    readonly kind: 'prefix';
    readonly prefix: string;
    readonly template: string;
    /** The date put in for `{date}`; absent when the prefix has none. */
    readonly date?: string;
    readonly suffix: string;
  };

export interface RunArgs {
  readonly bucket: string;
  readonly target: RunTarget;
  /** Process the version(s) even if file_metadata says they were processed already. */
  readonly force: boolean;
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
      sinks: sinksFromFlags({
        config: values.config,
        table: values.table,
        schema: values.schema,
        columns: values.column,
        badRows: values['bad-rows'],
        extraColumns: values['extra-columns'],
        previousVersions: values['previous-versions'],
      }),
    },
  };
}

/** Today in UTC as YYYY-MM-DD. */
export function utcDate(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

function checkDate(value: string, source: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const valid = m && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
  if (!valid) throw new UsageError(`${source} must be a date as YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
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
  if (key !== undefined) {
    if (key === '') throw new UsageError('--key must not be empty');
    for (const flag of ['date', 'suffix'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --prefix, not --key`);
    }
    const versionId = values['version-id'];
    if (versionId === '') throw new UsageError('--version-id must not be empty');
    return { name: 'run', args: { bucket, force, target: { kind: 'object', key, ...(versionId !== undefined ? { versionId } : {}) } } };
  }
  if (values['version-id'] !== undefined) throw new UsageError('--version-id goes with --key, not --prefix');
  const template = prefix!;
  const hasDate = template.includes('{date}');
  if (values.date !== undefined && !hasDate) {
    throw new UsageError(`--date is given but --prefix ${JSON.stringify(template)} has no {date} to replace`);
  }
  const suffix = values.suffix ?? env[SUFFIX_ENV] ?? DEFAULT_SUFFIX;
  if (!hasDate) return { name: 'run', args: { bucket, force, target: { kind: 'prefix', template, prefix: template, suffix } } };
  const date = values.date !== undefined
    ? checkDate(values.date, '--date')
    : env[RUN_DATE_ENV] ? checkDate(env[RUN_DATE_ENV]!, RUN_DATE_ENV) : utcDate();
  return {
    name: 'run',
    args: { bucket, force, target: { kind: 'prefix', template, prefix: template.split('{date}').join(date), date, suffix } },
  };
}
