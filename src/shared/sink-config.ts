/**
 * JSON shapes the construct serialises into `PIPELINE_SINKS` and the runtime
 * (and CLI `--config` file) reads. Not part of the public jsii API.
 */

/** One declared column of a target table. */
export interface ColumnConfig {
  /** Column name, matched against the CSV header (case-sensitive, trimmed). */
  readonly name: string;
  /** PostgreSQL type, e.g. `integer`, `numeric(12,2)`, `timestamptz`, `text`. */
  readonly type: string;
  /** Whether an empty field / missing value is allowed (loaded as NULL). */
  readonly nullable: boolean;
}

export type BadRowPolicy = 'FAIL_FILE' | 'SKIP_AND_REPORT';
export type ExtraColumnPolicy = 'IGNORE' | 'REJECT';
/** What a new version of a key does to the rows of its earlier versions. */
export type PreviousVersionsPolicy = 'REPLACE' | 'APPEND';

export interface PostgresTableSinkConfig {
  readonly kind: 'postgresTable';
  /** Schema of the table; default `public`. */
  readonly schema: string;
  readonly table: string;
  readonly columns: ColumnConfig[];
  readonly badRows: BadRowPolicy;
  readonly extraColumns: ExtraColumnPolicy;
  /** Default REPLACE: the newest version of a key is the only one in the table. */
  readonly previousVersions?: PreviousVersionsPolicy;
}

export type SinkConfig = PostgresTableSinkConfig;
