import { Construct } from 'constructs';
import { ColumnType } from './column-type';
import { tableSinkConfigProblems } from '../runtime/load/validate-config';
import { PostgresTableSinkConfig } from '../shared/sink-config';

/** What happens to rows that do not fit the table. */
export enum BadRowPolicy {
  /** Load nothing from the file and fail it; the error names the line, column and reason. */
  FAIL_FILE = 'FAIL_FILE',
  /**
   * Load the good rows; write the bad ones to `rejects/<key>.csv` in the
   * output bucket with their line numbers and reasons.
   */
  SKIP_AND_REPORT = 'SKIP_AND_REPORT',
}

/** What happens to CSV columns the table does not declare. */
export enum ExtraColumnPolicy {
  /** Ignore them. */
  IGNORE = 'IGNORE',
  /** Fail the file, naming the unexpected columns. */
  REJECT = 'REJECT',
}

/** A column of the target table. */
export interface TableColumn {
  /**
   * Column name, matched exactly against the CSV header (after trimming). It
   * may contain spaces, `.` or `-` (headers often do); it is always quoted in SQL.
   */
  readonly name: string;
  /** PostgreSQL type. */
  readonly type: ColumnType;
  /**
   * Whether empty values are allowed (loaded as NULL). A file whose header
   * lacks a non-nullable column fails.
   *
   * @default true
   */
  readonly nullable?: boolean;
}

/** Options of `Sink.postgresTable()`. */
export interface PostgresTableSinkOptions {
  /** Table the rows are loaded into (created by the processor's migration). */
  readonly table: string;
  /**
   * Schema of the table.
   *
   * @default 'public'
   */
  readonly schema?: string;
  /** Declared columns; CSV columns are matched to them by header name, in any order. */
  readonly columns: TableColumn[];
  /**
   * What happens to rows that do not fit.
   *
   * @default BadRowPolicy.FAIL_FILE
   */
  readonly badRows?: BadRowPolicy;
  /**
   * What happens to CSV columns that are not declared.
   *
   * @default ExtraColumnPolicy.IGNORE
   */
  readonly extraColumns?: ExtraColumnPolicy;
}

/** The runtime configuration of a bound sink. */
export interface SinkConfig {
  /** Sink kind as the runtime knows it (e.g. `postgresTable`). */
  readonly kind: string;
  /** JSON the runtime program reads for this sink. */
  readonly json: string;
}

/**
 * Where the rows of each file go, besides the `file_metadata` record that is
 * always written. Pick with the static factories.
 */
export abstract class Sink {
  /**
   * Load every row into a typed PostgreSQL table with `COPY`, exactly once
   * per file version, in the same transaction as the file's metadata.
   */
  public static postgresTable(options: PostgresTableSinkOptions): Sink {
    return new PostgresTableSink(options);
  }

  /** Produces the runtime configuration of the sink. */
  public abstract bind(scope: Construct): SinkConfig;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const RESERVED_TABLES = ['file_metadata', 'schema_migrations'];

class PostgresTableSink extends Sink {
  private readonly config: PostgresTableSinkConfig;

  constructor(options: PostgresTableSinkOptions) {
    super();
    const where = 'Sink.postgresTable()';
    if (!IDENTIFIER.test(options.table)) {
      throw new Error(`${where}: table '${options.table}' must be a SQL identifier (letters, digits, _; at most 63 characters; not starting with a digit)`);
    }
    if (options.schema !== undefined && !IDENTIFIER.test(options.schema)) {
      throw new Error(`${where}: schema '${options.schema}' must be a SQL identifier`);
    }
    if (RESERVED_TABLES.includes(options.table.toLowerCase())) {
      throw new Error(`${where}: table '${options.table}' is reserved by the pipeline`);
    }
    if (options.columns.length === 0) {
      throw new Error(`${where}: columns must declare at least one column`);
    }
    const seen = new Set<string>();
    options.columns.forEach((c, i) => {
      if (seen.has(c.name)) {
        throw new Error(`${where}: columns[${i}].name '${c.name}' is declared twice`);
      }
      seen.add(c.name);
    });
    this.config = {
      kind: 'postgresTable',
      schema: options.schema ?? 'public',
      table: options.table,
      columns: options.columns.map((c) => ({ name: c.name, type: c.type.sqlType, nullable: c.nullable ?? true })),
      badRows: options.badRows ?? BadRowPolicy.FAIL_FILE,
      extraColumns: options.extraColumns ?? ExtraColumnPolicy.IGNORE,
    };
    // The same checks the loader runs before it touches the database, so a
    // configuration that synthesizes is one the runtime accepts.
    const problems = tableSinkConfigProblems(this.config);
    if (problems.length > 0) {
      throw new Error(`${where}: ${problems.join('; ')}`);
    }
  }

  public bind(_scope: Construct): SinkConfig {
    return { kind: this.config.kind, json: JSON.stringify(this.config) };
  }
}
