/**
 * The two file ledgers as the behaviour tests use them: the environment that
 * selects each (the PostgreSQL database, or a DynamoDB table in moto), and
 * one way to read a version's record from either.
 */
import {
  CreateTableCommand, DynamoDBClient, QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { createTestDatabase } from '../../support/db';
import { motoClientConfig, uniqueName } from '../../support/moto';
import { query, runtimeEnv, TestAws } from '../helpers';

export type LedgerKind = 'postgres' | 'dynamodb';
export const LEDGER_KINDS: LedgerKind[] = ['postgres', 'dynamodb'];

/** A version's record, with the fields both ledgers keep. */
export interface LedgerRecord {
  readonly id: number;
  readonly version: string;
  readonly status: string;
  readonly attempts: number;
  readonly rowsCount: number | null;
  readonly errorKind: string | null;
  readonly notified: boolean;
  readonly resumedFrom: number | null;
  /** The checkpoint of a load in progress (chunks committed so far). */
  readonly checkpoint?: { readonly chunks: number; readonly rowsLoaded: number };
}

export interface TestLedger {
  readonly kind: LedgerKind;
  /** Runtime environment for this ledger (buckets, topic and the ledger's variables). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Every version of `key`, by id. */
  records(key: string): Promise<LedgerRecord[]>;
  drop(): Promise<void>;
}

/** The ledger's table as `Ledger.dynamoDb()` creates it: `pk`/`sk` strings, on demand. */
export async function createLedgerTable(client: DynamoDBClient): Promise<string> {
  const table = uniqueName('ledger');
  await client.send(new CreateTableCommand({
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  return table;
}

export async function createTestLedger(kind: LedgerKind, aws: TestAws): Promise<TestLedger> {
  if (kind === 'postgres') {
    const db = await createTestDatabase('lg');
    return {
      kind,
      env: (extra = {}) => ({ ...runtimeEnv(aws, db.url), ...extra }),
      records: async (key) => (await query(db.url, `SELECT m.*, c.chunks, c.rows_loaded FROM file_metadata m
        LEFT JOIN file_checkpoint c ON c.file_id = m.id WHERE m.key = $1 ORDER BY m.id`, [key])).map((r) => ({
        id: Number(r.id),
        version: r.version,
        status: r.status,
        attempts: r.attempts,
        rowsCount: r.rows_count === null ? null : Number(r.rows_count),
        errorKind: r.error_kind,
        notified: r.notified_at !== null,
        resumedFrom: r.resumed_from === null ? null : Number(r.resumed_from),
        ...(r.chunks === null ? {} : { checkpoint: { chunks: Number(r.chunks), rowsLoaded: Number(r.rows_loaded) } }),
      })),
      drop: () => db.drop(),
    };
  }
  const client = new DynamoDBClient(motoClientConfig());
  const table = await createLedgerTable(client);
  return {
    kind,
    env: (extra = {}) => {
      const { PIPELINE_DATABASE_URL: _url, PIPELINE_DB_SSL: _ssl, ...rest } = runtimeEnv(aws, 'unused');
      return { ...rest, PIPELINE_LEDGER_TABLE: table, PIPELINE_LEDGER_LEASE_SECONDS: '2', ...extra };
    },
    records: async (key) => {
      const out = await client.send(new QueryCommand({
        TableName: table,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': { S: `f#${aws.input}/${key}` }, ':v': { S: 'v#' } },
      }));
      const num = (v?: { N?: string }) => (v?.N === undefined ? null : Number(v.N));
      return (out.Items ?? []).map((i) => ({
        id: num(i.id)!,
        version: i.version.S!,
        status: i.status.S!,
        attempts: num(i.attempts) ?? 0,
        rowsCount: num(i.rowsCount),
        errorKind: i.errorKind?.S ?? null,
        notified: i.notifiedAt !== undefined,
        resumedFrom: num(i.resumedFrom),
        ...(i.checkpoint?.S ? { checkpoint: JSON.parse(i.checkpoint.S) } : {}),
      })).sort((a, b) => a.id - b.id);
    },
    drop: async () => client.destroy(),
  };
}
