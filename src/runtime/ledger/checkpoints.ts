/**
 * The checkpoints of chunked loads (`file_checkpoint`, migration 3) and the
 * rejected rows of committed chunks (`file_chunk_rejects`). Every write here
 * runs inside the caller's transaction, beside the chunk's rows.
 */
import type { ClientBase } from 'pg';
import type { Checkpoint, ChunkRecord } from '../contract/ledger';

export type { Checkpoint } from '../contract/ledger';

interface CheckpointRow {
  file_id: string;
  version: string;
  size_bytes: string;
  data_offset: string;
  byte_offset: string;
  next_line: string;
  rows_loaded: string;
  rows_rejected: string;
  chunks: number;
}

export async function readCheckpoint(client: ClientBase, fileId: number): Promise<Checkpoint | undefined> {
  const r = await client.query<CheckpointRow>('SELECT * FROM file_checkpoint WHERE file_id = $1', [fileId]);
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    fileId: Number(row.file_id),
    version: row.version,
    sizeBytes: Number(row.size_bytes),
    dataOffset: Number(row.data_offset),
    byteOffset: Number(row.byte_offset),
    nextLine: Number(row.next_line),
    rowsLoaded: Number(row.rows_loaded),
    rowsRejected: Number(row.rows_rejected),
    chunks: row.chunks,
  };
}

export async function saveCheckpoint(client: ClientBase, c: Checkpoint): Promise<void> {
  await client.query(
    `INSERT INTO file_checkpoint (file_id, version, size_bytes, data_offset, byte_offset, next_line, rows_loaded, rows_rejected, chunks)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (file_id) DO UPDATE SET
       version = EXCLUDED.version, size_bytes = EXCLUDED.size_bytes, data_offset = EXCLUDED.data_offset,
       byte_offset = EXCLUDED.byte_offset, next_line = EXCLUDED.next_line, rows_loaded = EXCLUDED.rows_loaded,
       rows_rejected = EXCLUDED.rows_rejected, chunks = EXCLUDED.chunks, updated_at = now()`,
    [c.fileId, c.version, c.sizeBytes, c.dataOffset, c.byteOffset, c.nextLine, c.rowsLoaded, c.rowsRejected, c.chunks],
  );
}

/** Forgets where the file stood: its checkpoint and the rejects of its committed chunks. */
export async function clearCheckpoint(client: ClientBase, fileIds: readonly number[]): Promise<void> {
  if (fileIds.length === 0) return;
  await client.query('DELETE FROM file_chunk_rejects WHERE file_id = ANY($1::bigint[])', [fileIds]);
  await client.query('DELETE FROM file_checkpoint WHERE file_id = ANY($1::bigint[])', [fileIds]);
}

/**
 * Other versions of the key that stopped part way with chunks committed:
 * their rows are half a file, so the version that finishes removes them.
 */
export async function partlyLoadedVersions(client: ClientBase, ref: { bucket: string; key: string }, exceptId: number): Promise<number[]> {
  const r = await client.query<{ id: string }>(
    `SELECT m.id FROM file_metadata m JOIN file_checkpoint c ON c.file_id = m.id
     WHERE m.bucket = $1 AND m.key = $2 AND m.id <> $3 AND m.status NOT IN ('succeeded', 'replaced')
     ORDER BY m.id FOR UPDATE OF m, c`,
    [ref.bucket, ref.key, exceptId],
  );
  return r.rows.map((row) => Number(row.id));
}

/** Keeps a committed chunk's rejected rows (CSV lines without the header) and sink summaries. */
export async function saveChunk(client: ClientBase, fileId: number, chunk: ChunkRecord): Promise<void> {
  await client.query(
    `INSERT INTO file_chunk_rejects (file_id, first_line, listed, csv, summaries) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (file_id, first_line) DO UPDATE SET listed = EXCLUDED.listed, csv = EXCLUDED.csv, summaries = EXCLUDED.summaries`,
    [fileId, chunk.firstLine, chunk.listed, chunk.rejectsCsv, chunk.summaries.some((x) => x !== null) ? JSON.stringify(chunk.summaries) : null],
  );
}

/** The committed chunks' records, in file order. */
export async function readChunks(client: ClientBase, fileId: number): Promise<ChunkRecord[]> {
  const r = await client.query<{ first_line: string; listed: number; csv: string; summaries: ChunkRecord['summaries'] | null }>(
    'SELECT first_line, listed, csv, summaries FROM file_chunk_rejects WHERE file_id = $1 ORDER BY first_line', [fileId],
  );
  return r.rows.map((row) => ({ firstLine: Number(row.first_line), listed: row.listed, rejectsCsv: row.csv, summaries: row.summaries ?? [] }));
}
