/**
 * `cdk-data-pipeline status`: the recent files of a pipeline's ledger — the
 * PostgreSQL database (`--database-url`, e.g. through the bastion's port
 * forwarding) or the DynamoDB table (`--ledger-table`, with the AWS
 * credentials of the shell) — as a table on a terminal, or JSON.
 */
import { parseArgs } from 'util';
import { UsageError } from './args';
import { LEDGER_OPTIONS, LEDGER_USAGE, LedgerSourceIo, listLedgerFiles } from './ledger-source';
import { FileStatus } from '../../contract/ledger';
import { FileFilter, FileListing } from '../../ledger/file-listing';

export const STATUS_USAGE = `Usage: cdk-data-pipeline status [options]

Lists the most recent file versions of a pipeline's ledger, newest activity
first: status, rows, rejected rows, attempts, duration, key and error. A
table on a terminal, one JSON array with --json.

Ledger (one of):
${LEDGER_USAGE}

Filters:
  --status <status>      processing | succeeded | failed | superseded | gone | replaced
  --since <age|time>     e.g. 24h, 30m, 7d, or an ISO 8601 time
  --key-prefix <prefix>  only keys starting with it
  --limit <n>            at most n versions (default 50)
  --json                 JSON instead of a table
  -h, --help             Show this help
`;

const OPTIONS = {
  ...LEDGER_OPTIONS,
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

export interface StatusIo extends LedgerSourceIo {
  readonly stdout: (text: string) => void;
  /** Table (terminal) or JSON; --json forces JSON. */
  readonly isTerminal?: boolean;
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
  const files = await listLedgerFiles(v, filter, io);
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
