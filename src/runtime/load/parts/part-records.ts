/**
 * The ledger's records of a split file (migration 5): what each nominal
 * range holds (`file_part_ranges`) and which parts are committed in the
 * file's parts table (`file_parts`). A part's record is written in the
 * transaction that commits its rows, so the two are never apart; a record
 * counts only for the parts table whose oid it names.
 */
import type { ClientBase } from 'pg';
import type { RangeStats } from './ranges';

/** First key of the advisory lock a process holds on the part it loads (`cdp1` in ASCII). */
const PART_LOCK_CLASS = 0x63647031;

export async function readRangeStats(client: ClientBase, fileId: number, parts: number): Promise<Map<number, RangeStats>> {
  const r = await client.query<{ part: number; quote_parity: number; line_ends: string }>(
    'SELECT part, quote_parity, line_ends FROM file_part_ranges WHERE file_id = $1 AND parts = $2', [fileId, parts]);
  return new Map(r.rows.map((row) => [row.part, { quoteParity: row.quote_parity, lineEnds: Number(row.line_ends) }]));
}

export async function saveRangeStats(client: ClientBase, fileId: number, parts: number, part: number, stats: RangeStats): Promise<void> {
  await client.query(
    `INSERT INTO file_part_ranges (file_id, parts, part, quote_parity, line_ends) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (file_id, parts, part) DO NOTHING`, [fileId, parts, part, stats.quoteParity, stats.lineEnds]);
}

export interface PartRecord {
  readonly part: number;
  readonly rows: number;
  readonly rejected: number;
  readonly firstLine: number;
  /** Rejected rows as CSV lines, without the header; '' for none. */
  readonly rejectsCsv: string;
  /** How many of `rejected` the CSV lists. */
  readonly listed: number;
}

/** The record of `part` for the parts table `staging`, if that part is committed in it. */
export async function readPart(client: ClientBase, fileId: number, staging: number, part: number): Promise<PartRecord | undefined> {
  return (await readParts(client, fileId, staging)).find((p) => p.part === part);
}

/** The committed parts of the parts table `staging`; `lock` holds their records until the transaction ends. */
export async function readParts(client: ClientBase, fileId: number, staging: number, lock = false): Promise<PartRecord[]> {
  const r = await client.query<{ part: number; rows_loaded: string; rows_rejected: string; first_line: string; rejects_csv: string; listed: number }>(
    `SELECT part, rows_loaded, rows_rejected, first_line, rejects_csv, listed FROM file_parts WHERE file_id = $1 AND staging = $2::oid ORDER BY part${lock ? ' FOR UPDATE' : ''}`,
    [fileId, staging]);
  return r.rows.map((row) => ({
    part: row.part,
    rows: Number(row.rows_loaded),
    rejected: Number(row.rows_rejected),
    firstLine: Number(row.first_line),
    rejectsCsv: row.rejects_csv,
    listed: row.listed,
  }));
}

/**
 * Records `part` as committed in `staging`, in the caller's transaction (the
 * one that COPYed its rows). A record of an earlier parts table is replaced;
 * false when this part is recorded for `staging` already (another run of it
 * committed first: this one must roll back).
 */
export async function recordPart(client: ClientBase, fileId: number, parts: number, staging: number, record: PartRecord): Promise<boolean> {
  const r = await client.query(
    `INSERT INTO file_parts (file_id, part, parts, staging, rows_loaded, rows_rejected, first_line, rejects_csv, listed)
     VALUES ($1, $2, $3, $4::oid, $5, $6, $7, $8, $9)
     ON CONFLICT (file_id, part) DO UPDATE SET parts = EXCLUDED.parts, staging = EXCLUDED.staging, rows_loaded = EXCLUDED.rows_loaded,
       rows_rejected = EXCLUDED.rows_rejected, first_line = EXCLUDED.first_line, rejects_csv = EXCLUDED.rejects_csv,
       listed = EXCLUDED.listed, loaded_at = now()
     WHERE file_parts.staging <> EXCLUDED.staging`,
    [fileId, record.part, parts, staging, record.rows, record.rejected, record.firstLine, record.rejectsCsv, record.listed]);
  return r.rowCount === 1;
}

/** Forgets the parts of the file (its part records and range counts), in the caller's transaction. */
export async function forgetParts(client: ClientBase, fileId: number, ranges = true): Promise<void> {
  await client.query('DELETE FROM file_parts WHERE file_id = $1', [fileId]);
  if (ranges) await client.query('DELETE FROM file_part_ranges WHERE file_id = $1', [fileId]);
}

/** Tries the session advisory lock on one part of the file: false when another process is loading it. */
export async function tryLockPart(client: ClientBase, fileId: number, part: number): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [PART_LOCK_CLASS, `${fileId}/${part}`]);
  return r.rows[0].ok;
}

export async function unlockPart(client: ClientBase, fileId: number, part: number): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [PART_LOCK_CLASS, `${fileId}/${part}`]);
}
