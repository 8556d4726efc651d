/**
 * JSON shapes the construct serialises into `PIPELINE_SINKS` and the runtime
 * (and CLI `--config` file) reads. Not part of the public jsii API.
 */
import type { KafkaSinkConfig } from './kafka-sink-config';
import type { ReportSinkConfig } from './report-sink-config';

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
  /**
   * Connections one file is loaded through (FAIL_FILE files that take the
   * COPY fast path); default 1. Above 1 the table is created partitioned by
   * `_file_id` and each file becomes visible in one commit by attaching its
   * partition (src/runtime/load/parallel/).
   */
  readonly parallelism?: number;
}

/** Upper bound of `parallelism`: connections one file may use. */
export const MAX_PARALLELISM = 64;

/**
 * Why a `parallelism` value is refused (`undefined` when it is fine), shared
 * by `Sink.postgresTable()` at synth time and the runtime's check.
 */
export function parallelismProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_PARALLELISM) {
    return `parallelism ${JSON.stringify(value) ?? String(value)} must be a whole number from 1 to ${MAX_PARALLELISM} (connections per file)`;
  }
  return undefined;
}

/** Every sink kind's configuration; `kind` tells them apart. */
export type SinkConfig = PostgresTableSinkConfig | KafkaSinkConfig | ReportSinkConfig;
