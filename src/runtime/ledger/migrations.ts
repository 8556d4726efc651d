/**
 * Versioned, idempotent schema migrations. Each runs once per database,
 * recorded in `schema_migrations`; all run under one transaction-scoped
 * advisory lock, so processors that cold-start together do not race on
 * CREATE TABLE (which is not safe to run concurrently even with IF NOT EXISTS).
 */
import type { ClientBase } from 'pg';

export interface Migration {
  /** Strictly increasing; never reuse or renumber a released one. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create file_metadata',
    sql: `
      CREATE TABLE file_metadata (
        id            bigserial PRIMARY KEY,
        bucket        text NOT NULL,
        key           text NOT NULL,
        -- S3 version id, ETag when the bucket is not versioned, sha256 for local files
        version       text NOT NULL,
        version_kind  text NOT NULL CHECK (version_kind IN ('version-id', 'etag', 'sha256')),
        filename      text NOT NULL,
        status        text NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed')),
        rows_count    bigint,
        rows_rejected bigint,
        attempts      integer NOT NULL DEFAULT 0,
        error         text,
        -- 'input': the file itself is wrong, retrying the same version cannot help
        error_kind    text CHECK (error_kind IN ('input', 'internal')),
        created_at    timestamptz NOT NULL DEFAULT now(),
        started_at    timestamptz,
        finished_at   timestamptz,
        -- set once the SNS message of the final status is out; a retry after a
        -- crash between commit and publish sends it
        notified_at   timestamptz,
        updated_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT file_metadata_object_version_key UNIQUE (bucket, key, version)
      );
      CREATE INDEX file_metadata_status_idx ON file_metadata (status, updated_at);
    `,
  },
  {
    version: 2,
    name: 'order the versions of a key',
    sql: `
      -- superseded: older than a version of the same key already loaded, or
      --             overwritten before it could be read; nothing was changed
      -- gone:       deleted before it could be read
      -- replaced:   loaded once, then a newer version of the key took its place
      ALTER TABLE file_metadata DROP CONSTRAINT file_metadata_status_check;
      ALTER TABLE file_metadata ADD CONSTRAINT file_metadata_status_check
        CHECK (status IN ('processing', 'succeeded', 'failed', 'superseded', 'gone', 'replaced'));
      -- the S3 event's sequencer and the version's LastModified: which version is newer
      ALTER TABLE file_metadata ADD COLUMN sequencer text;
      ALTER TABLE file_metadata ADD COLUMN object_modified_at timestamptz;
      ALTER TABLE file_metadata ADD COLUMN replaced_by bigint REFERENCES file_metadata (id);
      CREATE INDEX file_metadata_object_idx ON file_metadata (bucket, key, status);
    `,
  },
  {
    version: 3,
    name: 'checkpoints of chunked loads',
    sql: `
      -- Where a file loaded in chunks stands: each chunk's rows and this row
      -- commit together, so after a crash the sinks hold exactly the chunks
      -- counted here, and the next attempt reads the file from byte_offset.
      -- One row per file version (file_id); removed when the version finishes.
      CREATE TABLE file_checkpoint (
        file_id       bigint PRIMARY KEY REFERENCES file_metadata (id) ON DELETE CASCADE,
        -- what the checkpoint was taken on: a resume checks it is the same bytes
        version       text NOT NULL,
        size_bytes    bigint NOT NULL,
        data_offset   bigint NOT NULL,
        -- the next chunk starts here (a record boundary) on this physical line
        byte_offset   bigint NOT NULL,
        next_line     bigint NOT NULL,
        rows_loaded   bigint NOT NULL,
        rows_rejected bigint NOT NULL,
        chunks        integer NOT NULL,
        updated_at    timestamptz NOT NULL DEFAULT now()
      );
      -- SKIP_AND_REPORT: the rejected rows of committed chunks, until the
      -- version's rejects file is written
      CREATE TABLE file_chunk_rejects (
        file_id    bigint NOT NULL REFERENCES file_metadata (id) ON DELETE CASCADE,
        first_line bigint NOT NULL,
        listed     integer NOT NULL,
        csv        text NOT NULL,
        PRIMARY KEY (file_id, first_line)
      );
      -- rows already committed by earlier attempts when the final one began
      ALTER TABLE file_metadata ADD COLUMN resumed_from bigint;
    `,
  },
  {
    version: 4,
    name: 'sink summaries of committed chunks',
    sql: `
      -- per sink, what it computed over the chunk (the report sink's
      -- aggregates), merged when the version finishes
      ALTER TABLE file_chunk_rejects ADD COLUMN summaries jsonb;
    `,
  },
  {
    version: 5,
    name: 'parts of files split across processes',
    sql: `
      -- A file split into N parts (CLI --part i/N, Batch array jobs): what
      -- each nominal byte range holds, so that a part finds the record
      -- boundary and the file line its range starts at without reading the
      -- ranges before it (../load/parts/README.md). Facts about the bytes of
      -- the version, kept until the file is committed.
      CREATE TABLE file_part_ranges (
        file_id      bigint NOT NULL REFERENCES file_metadata (id) ON DELETE CASCADE,
        parts        integer NOT NULL,
        part         integer NOT NULL,
        -- parity of the double quotes in the range, and its line ends
        -- (line feeds, and carriage returns not followed by one), quoted or not
        quote_parity smallint NOT NULL,
        line_ends    bigint NOT NULL,
        PRIMARY KEY (file_id, parts, part)
      );
      -- Parts whose rows are committed in the file's parts table (staging,
      -- by its oid): a part's rows and its row here commit together; the part
      -- that records the last one attaches the table and marks the file
      -- succeeded, and removes these rows in that transaction.
      CREATE TABLE file_parts (
        file_id       bigint NOT NULL REFERENCES file_metadata (id) ON DELETE CASCADE,
        part          integer NOT NULL,
        parts         integer NOT NULL,
        staging       oid NOT NULL,
        rows_loaded   bigint NOT NULL,
        rows_rejected bigint NOT NULL,
        first_line    bigint NOT NULL,
        -- SKIP_AND_REPORT: the part's rejected rows as CSV lines (without the
        -- header), and how many of rows_rejected they list
        rejects_csv   text NOT NULL DEFAULT '',
        listed        integer NOT NULL DEFAULT 0,
        loaded_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (file_id, part)
      );
    `,
  },
];

/** Lock id shared by every processor of every pipeline using this database. */
const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('cdk-data-pipeline/schema_migrations', 0))";

/**
 * Applies the migrations this database lacks; returns the versions applied.
 * `schemaStatements` (the sinks' idempotent `CREATE ... IF NOT EXISTS`) run
 * after them, under the same lock and in the same transaction, every time:
 * a table declared later (a new sink) is created on the next cold start.
 */
export async function migrate(
  client: ClientBase,
  migrations: readonly Migration[] = MIGRATIONS,
  schemaStatements: readonly string[] = [],
): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query(LOCK_SQL);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const done = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const have = new Set(done.rows.map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (have.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    for (const statement of schemaStatements) {
      await client.query(statement);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return applied;
}
