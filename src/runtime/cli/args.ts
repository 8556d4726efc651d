/**
 * Command-line parsing. Each command declares its options in one table
 * (node's util.parseArgs format) and maps them to typed arguments, so a new
 * flag is one entry there and one line in the mapping.
 */
import { parseArgs, ParseArgsConfig } from 'util';
import { parseSslMode, SslMode } from '../config';
import { sinksFromFlags } from './sink-options';
import { DEFAULT_OUTPUT_DIR } from './usage';
import { SinkConfig } from '../../shared/sink-config';

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

export type Command =
  | { readonly name: 'help'; readonly topic?: 'process' }
  | { readonly name: 'process'; readonly args: ProcessArgs };

/** parseArgs messages carry a long hint about `--`; the first sentence is the useful part. */
function rethrowAsUsage(err: unknown): never {
  const message = (err as Error).message.split('. ')[0];
  throw new UsageError(message);
}

export function parseCommand(argv: readonly string[], env: Record<string, string | undefined>): Command {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('Missing command');
  if (command === 'help' || command === '--help' || command === '-h') return { name: 'help' };
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
