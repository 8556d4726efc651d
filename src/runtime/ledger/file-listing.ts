/**
 * What operators look at every day: the recent file versions of a ledger,
 * newest activity first, filtered by status, time and key prefix (the CLI's
 * `status` command). Read-only, from either ledger.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { ClientBase } from 'pg';
import { fileRowOf, Item } from './dynamodb/items';
import { FileStatus } from '../contract/ledger';

export interface FileFilter {
  readonly status?: FileStatus;
  /** Only versions whose last activity (finished, else started, else recorded) is at or after this time. */
  readonly since?: Date;
  readonly keyPrefix?: string;
  /** At most this many, newest first. */
  readonly limit: number;
}

/** One version as `status` shows it. */
export interface FileListing {
  readonly id: number;
  readonly bucket: string;
  readonly key: string;
  readonly version: string;
  /** `version-id` (an S3 version id), `etag` (an unversioned bucket) or `sha256` (a local file). */
  readonly versionKind: string;
  readonly status: FileStatus;
  readonly rows: number | null;
  readonly rowsRejected: number | null;
  readonly attempts: number;
  readonly error: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
}

/** A version with its times as dates, before they are written as ISO strings with the duration. */
type ListedVersion = Omit<FileListing, 'startedAt' | 'finishedAt' | 'durationMs'> & { startedAt: Date | null; finishedAt: Date | null };

function listing(v: ListedVersion): FileListing {
  return {
    ...v,
    startedAt: v.startedAt?.toISOString() ?? null,
    finishedAt: v.finishedAt?.toISOString() ?? null,
    durationMs: v.startedAt && v.finishedAt ? v.finishedAt.getTime() - v.startedAt.getTime() : null,
  };
}

export async function listFilesInPostgres(client: ClientBase, f: FileFilter): Promise<FileListing[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.status) where.push(`status = $${params.push(f.status)}`);
  if (f.since) where.push(`coalesce(finished_at, started_at, created_at) >= $${params.push(f.since)}`);
  if (f.keyPrefix) where.push(`starts_with(key, $${params.push(f.keyPrefix)})`);
  const res = await client.query(
    `SELECT id, bucket, key, version, version_kind, status, rows_count, rows_rejected, attempts, error, started_at, finished_at
     FROM file_metadata ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY coalesce(finished_at, started_at, created_at) DESC, id DESC LIMIT $${params.push(f.limit)}`,
    params,
  );
  return res.rows.map((r) => listing({
    id: Number(r.id),
    bucket: r.bucket,
    key: r.key,
    version: r.version,
    versionKind: r.version_kind,
    status: r.status,
    rows: r.rows_count === null ? null : Number(r.rows_count),
    rowsRejected: r.rows_rejected === null ? null : Number(r.rows_rejected),
    attempts: r.attempts,
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
}

/** A Scan of the version items (the ledger table holds one per file version, plus holds and chunk records). */
export async function listFilesInDynamoDb(client: DynamoDBClient, table: string, f: FileFilter): Promise<FileListing[]> {
  const found: { at: number; item: FileListing }[] = [];
  let start: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({
      TableName: table,
      FilterExpression: 'begins_with(sk, :v)' + (f.status ? ' AND #status = :status' : ''),
      ExpressionAttributeValues: { ':v': { S: 'v#' }, ...(f.status ? { ':status': { S: f.status } } : {}) },
      ...(f.status ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
      ExclusiveStartKey: start,
    }));
    for (const item of page.Items ?? []) {
      const row = fileRowOf(item);
      const key = item.key?.S ?? '';
      if (f.keyPrefix && !key.startsWith(f.keyPrefix)) continue;
      const at = (row.finishedAt ?? row.startedAt ?? (item.createdAt?.S ? new Date(item.createdAt.S) : new Date(0))).getTime();
      if (f.since && at < f.since.getTime()) continue;
      found.push({
        at,
        item: listing({
          id: row.id,
          bucket: item.bucket?.S ?? '',
          key,
          version: item.version?.S ?? '',
          versionKind: item.versionKind?.S ?? '',
          status: row.status,
          rows: row.rowsCount,
          rowsRejected: row.rowsRejected,
          attempts: row.attempts,
          error: row.error,
          startedAt: row.startedAt,
          finishedAt: row.finishedAt,
        }),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return found.sort((a, b) => b.at - a.at || b.item.id - a.item.id).slice(0, f.limit).map((x) => x.item);
}
