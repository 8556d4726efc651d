/**
 * `cdk-data-pipeline status`: the recent files of a pipeline's ledger — the
 * PostgreSQL database (`--database-url`, e.g. through the bastion's port
 * forwarding) or the DynamoDB table (`--ledger-table`, with the AWS
 * credentials of the shell) — as a table on a terminal, or JSON.
 */
import { parseArgs } from 'util';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { Client } from 'pg';
import { UsageError } from './args';
import { ENV } from '../../../shared/env';
import { ConfigError, parseSslMode } from '../../contract/config';
import { FileStatus } from '../../contract/ledger';
import { settingsFromUrl } from '../../ledger/db-settings';
import { FileFilter, FileListing, listFilesInDynamoDb, listFilesInPostgres } from '../../ledger/file-listing';

export const STATUS_USAGE = `Usage: cdk-data-pipeline status [options]

Lists the most recent file versions of a pipeline's ledger, newest activity
first: status, rows, rejected rows, attempts, duration, key and error. A
table on a terminal, one JSON array with --json.

Ledger (one of):
  --database-url <url>   PostgreSQL URL of the pipeline's database
                         (default: $DATABASE_URL, else $${ENV.DATABASE_URL})
  --ssl <mode>           verify-full (default) or disable
  --ca-file <file>       PEM bundle of the server's CA
  --ledger-table <name>  DynamoDB table of Ledger.dynamoDb()
                         (default: $${ENV.LEDGER_TABLE}; AWS credentials and region from the environment)

Filters:
  --status <status>      processing | succeeded | failed | superseded | gone | replaced
  --since <age|time>     e.g. 24h, 30m, 7d, or an ISO 8601 time
  --key-prefix <prefix>  only keys starting with it
  --limit <n>            at most n versions (default 50)
  --json                 JSON instead of a table
  -h, --help             Show this help
`;

const OPTIONS = {
  'database-url': { type: 'string' },
  'ssl': { type: 'string' },
  'ca-file': { type: 'string' },
  'ledger-table': { type: 'string' },
  'status': { type: 'string' },
  'since': { type: 'string' },
  'key-prefix': { type: 'string' },
  'limit': { type: 'string' },
  'json': { type: 'boolean' },
  'help': { type: 'boolean', short: 'h' },
} as const;

const STATUSES: readonly FileStatus[] = ['processing', 'succeeded', 'failed', 'superseded', 'gone', 'replaced'];
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `24h`, `30m`, `7d`, `90s` before `now`, or an ISO 8601 time. */
export function parseSince(value: string, now: Date): Date {
  const age = /^(\d+)([smhd])$/.exec(value.trim());
  if (age) return new Date(now.getTime() - Number(age[1]) * UNITS[age[2]]);
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) {
    throw new UsageError(`--since ${JSON.stringify(value)} must be an age such as 24h, 30m or 7d, or an ISO 8601 time such as 2026-01-15T00:00:00Z`);
  }
  return at;
}

export interface StatusIo {
  readonly stdout: (text: string) => void;
  readonly env: Record<string, string | undefined>;
  /** Table (terminal) or JSON; --json forces JSON. */
  readonly isTerminal?: boolean;
  readonly aws?: { endpoint?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
  readonly now?: () => Date;
}

export async function runStatus(argv: readonly string[], io: StatusIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(STATUS_USAGE);
    return 0;
  }
  const filter = filterOf(v, (io.now ?? (() => new Date()))());
  const url = v['database-url'] ?? io.env.DATABASE_URL ?? io.env[ENV.DATABASE_URL];
  const table = v['ledger-table'] ?? io.env[ENV.LEDGER_TABLE];
  if (url && table) throw new UsageError('--database-url and --ledger-table name two ledgers: give one');
  if (!url && !table) throw new UsageError(`give the ledger: --database-url (or $DATABASE_URL) or --ledger-table (or $${ENV.LEDGER_TABLE})`);
  const files = url ? await fromPostgres(url, v, filter) : await fromDynamoDb(table!, filter, io);
  io.stdout(v.json || !io.isTerminal ? `${JSON.stringify(files, null, 2)}\n` : asTable(files));
  return 0;
}

function filterOf(v: { 'status'?: string; 'since'?: string; 'key-prefix'?: string; 'limit'?: string }, now: Date): FileFilter {
  if (v.status !== undefined && !STATUSES.includes(v.status as FileStatus)) {
    throw new UsageError(`--status ${JSON.stringify(v.status)} must be one of ${STATUSES.join(', ')}`);
  }
  const limit = v.limit === undefined ? 50 : Number(v.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError(`--limit ${JSON.stringify(v.limit)} must be a whole number from 1 to 10000`);
  return {
    ...(v.status ? { status: v.status as FileStatus } : {}),
    ...(v.since ? { since: parseSince(v.since, now) } : {}),
    ...(v['key-prefix'] ? { keyPrefix: v['key-prefix'] } : {}),
    limit,
  };
}

/** One read-only connection: a status query never migrates anything. */
async function fromPostgres(url: string, v: { 'ssl'?: string; 'ca-file'?: string }, f: FileFilter): Promise<FileListing[]> {
  let settings;
  try {
    settings = settingsFromUrl({ url, sslMode: parseSslMode(v.ssl, '--ssl'), caFile: v['ca-file'] });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const client = new Client({ ...settings, application_name: 'cdk-data-pipeline status', connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await listFilesInPostgres(client, f);
  } finally {
    await client.end();
  }
}

async function fromDynamoDb(table: string, f: FileFilter, io: StatusIo): Promise<FileListing[]> {
  const client = new DynamoDBClient({ ...io.aws });
  try {
    return await listFilesInDynamoDb(client, table, f);
  } finally {
    client.destroy();
  }
}

const COLUMNS: Array<[string, (f: FileListing) => string]> = [
  ['ID', (f) => String(f.id)],
  ['STATUS', (f) => f.status],
  ['ROWS', (f) => (f.rows === null ? '-' : String(f.rows))],
  ['REJECTED', (f) => (f.rowsRejected === null ? '-' : String(f.rowsRejected))],
  ['ATTEMPTS', (f) => String(f.attempts)],
  ['FINISHED', (f) => f.finishedAt?.slice(0, 19).replace('T', ' ') ?? '-'],
  ['DURATION', (f) => (f.durationMs === null ? '-' : `${(f.durationMs / 1000).toFixed(1)}s`)],
  ['KEY', (f) => `s3://${f.bucket}/${f.key}`],
  ['ERROR', (f) => (f.error ? (f.error.length > 80 ? `${f.error.slice(0, 79)}…` : f.error) : '')],
];

/** Aligned columns, one line per version. */
function asTable(files: readonly FileListing[]): string {
  if (files.length === 0) return 'No file versions match.\n';
  const cells = files.map((f) => COLUMNS.map(([, cell]) => cell(f).replace(/\s+/g, ' ')));
  const widths = COLUMNS.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(COLUMNS.map(([h]) => h)), ...cells.map(line)].join('\n') + '\n';
}
