/**
 * Where the operator's commands (`status`, `reprocess --failed` through the
 * deployed processor) read the ledger from a laptop: the PostgreSQL database
 * (`--database-url`, e.g. through the bastion's port forwarding) or the
 * DynamoDB table (`--ledger-table`, with the AWS credentials of the shell).
 * One read-only connection: listing never migrates anything.
 */
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// eslint-disable-next-line import/no-extraneous-dependencies -- bundled into assets/ by esbuild; a devDependency on purpose (.projenrc.ts)
import { Client } from 'pg';
import { UsageError } from './args';
import { ENV } from '../../../shared/env';
import { ConfigError, parseSslMode } from '../../contract/config';
import { settingsFromUrl } from '../../ledger/db-settings';
import { FileFilter, FileListing, listFilesInDynamoDb, listFilesInPostgres } from '../../ledger/file-listing';

/** The `--help` lines of the ledger options. */
export const LEDGER_USAGE = `  --database-url <url>   PostgreSQL URL of the pipeline's database
                         (default: $DATABASE_URL, else $${ENV.DATABASE_URL})
  --ssl <mode>           verify-full (default, else $${ENV.DB_SSL}) or disable
  --ca-file <file>       PEM bundle of the server's CA
  --ledger-table <name>  DynamoDB table of Ledger.dynamoDb()
                         (default: $${ENV.LEDGER_TABLE}; AWS credentials and region from the environment)`;

/** The ledger options, for `parseArgs`. */
export const LEDGER_OPTIONS = {
  'database-url': { type: 'string' },
  'ssl': { type: 'string' },
  'ca-file': { type: 'string' },
  'ledger-table': { type: 'string' },
} as const;

export interface LedgerValues {
  readonly 'database-url'?: string;
  readonly 'ssl'?: string;
  readonly 'ca-file'?: string;
  readonly 'ledger-table'?: string;
}

export interface LedgerSourceIo {
  readonly env: Record<string, string | undefined>;
  readonly aws?: { endpoint?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
}

/** The file versions of the ledger the options (or the environment) name that match `filter`. */
export async function listLedgerFiles(v: LedgerValues, filter: FileFilter, io: LedgerSourceIo): Promise<FileListing[]> {
  const url = v['database-url'] ?? io.env.DATABASE_URL ?? io.env[ENV.DATABASE_URL];
  const table = v['ledger-table'] ?? io.env[ENV.LEDGER_TABLE];
  if (url && table) throw new UsageError('--database-url and --ledger-table name two ledgers: give one');
  if (!url && !table) throw new UsageError(`give the ledger: --database-url (or $DATABASE_URL) or --ledger-table (or $${ENV.LEDGER_TABLE})`);
  return url ? fromPostgres(url, v, filter, io.env[ENV.DB_SSL]) : listDynamoDbLedger(table!, filter, io);
}

async function fromPostgres(url: string, v: LedgerValues, f: FileFilter, envSsl: string | undefined): Promise<FileListing[]> {
  let settings;
  try {
    const sslMode = v.ssl !== undefined ? parseSslMode(v.ssl, '--ssl') : parseSslMode(envSsl, ENV.DB_SSL);
    settings = settingsFromUrl({ url, sslMode, caFile: v['ca-file'] });
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

/** The file versions of a DynamoDB ledger table that match `f`, with one client of its own. */
export async function listDynamoDbLedger(table: string, f: FileFilter, io: LedgerSourceIo): Promise<FileListing[]> {
  const client = new DynamoDBClient({ ...io.aws });
  try {
    return await listFilesInDynamoDb(client, table, f);
  } finally {
    client.destroy();
  }
}
