import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ColumnType } from './column-type';
import { KafkaSinkOptions } from './kafka-sink';
import { KafkaSinkBinding } from './kafka-sink-binding';
import { ReportSinkOptions } from './report-sink';
import { ReportSinkBinding } from './report-sink-binding';
import type { SinkBinding } from './sink-binding';
import { parallelismProblem, PostgresTableSinkConfig } from '../shared/sink-config';
import { describeProblem, tableSinkProblems } from '../shared/table-rules';

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

/** What a new version of a file (same key) does to the rows of its earlier versions. */
export enum PreviousVersions {
  /**
   * The new version's rows replace the earlier versions' rows in the same
   * transaction: the table holds the newest version of each key (a corrected
   * re-upload never doubles the data).
   */
  REPLACE = 'REPLACE',
  /**
   * Every version's rows stay; each version is still loaded exactly once. A
   * version older than one already loaded is skipped in both modes.
   */
  APPEND = 'APPEND',
}

/** A column of the target table. */
export interface TableColumn {
  /**
   * Column name: the CSV header it is loaded from, matched exactly (case
   * included) after the header is trimmed, and the name of the table column.
   *
   * The loader always writes it double-quoted, so PostgreSQL keeps it exactly
   * as written: a column `Order ID` or `Amount` is queried as `"Order ID"` or
   * `"Amount"` (a column can be queried unquoted only when its name is made of
   * lower-case letters, digits and `_` and is not a reserved word).
   *
   * Any characters are allowed except control characters, white space other
   * than a plain space, `"` and `:`; at most 63 bytes in UTF-8 (PostgreSQL
   * would truncate a longer name); no leading or trailing white space; not
   * `_file_id` (the loader's own column) nor a PostgreSQL system column
   * (`ctid`, `xmin`, `xmax`, `cmin`, `cmax`, `tableoid`). Names are compared
   * exactly, so `Amount` and `amount` are two different columns.
   */
  readonly name: string;
  /** PostgreSQL type (see `ColumnType.of()` for the accepted types). */
  readonly dataType: ColumnType;
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
  /**
   * Table the rows are loaded into (created by the processor's migration if
   * it does not exist).
   *
   * A lower-case SQL name: letters `a-z`, digits and `_`, not starting with a
   * digit, at most 51 bytes (PostgreSQL's 63 minus the `_file_id_idx` suffix
   * of the index the loader adds), not a PostgreSQL reserved word (`user`,
   * `order`, ...). Such a name means the same quoted or unquoted, so the table
   * can be queried as `SELECT * FROM orders`. Upper case is refused rather than
   * folded: `Orders` would otherwise be a different, case-sensitive table.
   * The pipeline's own tables `file_metadata`, `schema_migrations`,
   * `file_checkpoint`, `file_chunk_rejects`, `file_part_ranges` and
   * `file_parts`, names starting with one of
   * them and `_` (their indexes and sequences) and names ending in
   * `_file_id_idx` are refused.
   */
  readonly table: string;
  /**
   * Schema of the table, created if it does not exist. Same rules as `table`,
   * except that it may be 63 bytes long; names starting with `pg_` and
   * `information_schema` are refused.
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
  /**
   * What a new version of a key (a re-upload of `orders/day1.csv`) does to
   * the rows its earlier versions loaded.
   *
   * @default PreviousVersions.REPLACE
   */
  readonly previousVersions?: PreviousVersions;
  /**
   * Database connections one file is loaded through, 1 to 64. Above 1, a
   * FAIL_FILE file whose header maps onto the table is split at record
   * boundaries (a quoted line break is never a split point) and its parts are
   * copied through that many connections at once, so a large file loads on
   * several of the database's CPU cores; it still becomes visible in one
   * commit, all of it or nothing.
   *
   * For that, the processor creates the table partitioned by `_file_id`
   * (`PARTITION BY LIST`, without the `_file_id` index a plain table gets:
   * partition pruning finds a file's rows), one partition per file version,
   * and each file's partition is attached in the transaction that marks the
   * file succeeded. Before that, the load waits (up to 30 s, then it loads
   * through one connection) for REPEATABLE READ transactions that took their
   * snapshot while the parts were committing; grant the pipeline's database
   * role `pg_read_all_stats` so that it can see other roles' sessions.
   * An existing table that is not partitioned keeps loading through one
   * connection. Files under SKIP_AND_REPORT, files with extra columns to drop
   * and checkpointed loads (`checkpointEvery`) load through one connection
   * into their partition.
   *
   * Each file version is a partition of its own: set this for tables that
   * receive large files, not for tables that receive thousands of small
   * files, whose partitions would slow down planning. Under REPLACE a
   * replaced version's partition is emptied in the commit of the new one
   * and dropped after it (`DETACH PARTITION ... CONCURRENTLY`: readers and
   * writers go on; a load starting meanwhile waits at most 10 s), so the
   * table keeps about one partition per key; under APPEND every version
   * keeps its own. Each file then uses up to `parallelism + 1`
   * connections: size the database's `max_connections` for the processor's
   * concurrency times that.
   *
   * @default 1
   */
  readonly parallelism?: number;
}

/** The runtime configuration of a bound sink. */
export interface SinkConfig {
  /** Sink kind as the runtime knows it (e.g. `postgresTable`). */
  readonly kind: string;
  /** JSON the runtime program reads for this sink. */
  readonly json: string;
  /**
   * Whether the sink writes to the pipeline's PostgreSQL database (and so
   * needs `Ledger.postgres()`).
   *
   * @default false
   */
  readonly usesDatabase?: boolean;
}

/** What a sink is bound with: where the pipeline's processor runs. */
export interface SinkBindOptions {
  /** VPC the processor runs in (a cluster the sink creates goes here). */
  readonly vpc: ec2.IVpc;
  /** Subnets of the processor. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** The pipeline's KMS key (encryption at rest of what the sink creates). */
  readonly encryptionKey: kms.IKey;
  /** Removal policy of what the sink creates. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The processor as a sink sees it once it exists: its role to grant to and
 * its security group to open the sink's ports to.
 */
export interface SinkProcessorAccess {
  /** The processor's role. */
  readonly grantPrincipal: iam.IGrantable;
  /** The processor's connections (security group). */
  readonly connections: ec2.Connections;
}

/**
 * Where the rows of each file go, besides the `file_metadata` record that is
 * always written. Pick with the static factories.
 */
export abstract class Sink {
  /**
   * Load every row into a typed PostgreSQL table with `COPY`, exactly once
   * per file version, in the same transaction as the file's metadata.
   *
   * The options are checked here, with the same rules the runtime and the
   * CLI apply; an error names the option and the value, e.g.
   * `Sink.postgresTable(): columns[3].name "_file_id" is reserved: ...`.
   */
  public static postgresTable(options: PostgresTableSinkOptions): Sink {
    return new PostgresTableSink(options);
  }

  /**
   * Stream every row of each file to a Kafka topic (Amazon MSK or your own
   * brokers), in file order; exactly once for `read_committed` consumers by
   * default. See `KafkaSinkOptions`.
   */
  public static kafka(options: KafkaSinkOptions): Sink {
    return new DelegatingSink(new KafkaSinkBinding(options));
  }

  /**
   * Aggregate each file (and each scheduled run) into a JSON report: counts,
   * sums, minimums, maximums and distinct-count estimates of declared
   * columns, grouped by a few columns. See `ReportSinkOptions`.
   */
  public static report(options: ReportSinkOptions): Sink {
    return new DelegatingSink(new ReportSinkBinding(options));
  }

  /** Produces the runtime configuration of the sink. */
  public abstract bind(scope: Construct, options: SinkBindOptions): SinkConfig;

  /**
   * Gives the bound processor what the sink needs: IAM grants, network
   * access to the sink's endpoints. Called once, after `bind()`.
   *
   * @param scope the pipeline construct, for anything the grant creates
   * @param processor the bound processor: its role and security group
   */
  public grantProcessor(scope: Construct, processor: SinkProcessorAccess): void {
    // Nothing beyond the database access every pipeline grants.
    void scope;
    void processor;
  }
}

class PostgresTableSink extends Sink {
  private readonly config: PostgresTableSinkConfig;

  constructor(options: PostgresTableSinkOptions) {
    super();
    const columns = Array.isArray(options.columns) ? options.columns : [];
    this.config = {
      kind: 'postgresTable',
      schema: options.schema ?? 'public',
      table: options.table,
      columns: columns.map((c) => ({
        name: c?.name,
        // Checked again by the shared rules, like every other value: a
        // ColumnType has already passed them unless it was forged.
        type: c?.dataType?.sqlType,
        nullable: c?.nullable ?? true,
      })),
      badRows: options.badRows ?? BadRowPolicy.FAIL_FILE,
      extraColumns: options.extraColumns ?? ExtraColumnPolicy.IGNORE,
      previousVersions: options.previousVersions ?? PreviousVersions.REPLACE,
      ...(options.parallelism !== undefined ? { parallelism: options.parallelism } : {}),
    };
    // The rules the loader and the CLI apply (src/shared/table-rules.ts), so a
    // configuration that synthesizes is one the runtime accepts.
    const problems = tableSinkProblems(Array.isArray(options.columns) ? this.config : { ...this.config, columns: options.columns })
      // The rules name the runtime's `type`; the prop is `dataType`.
      .map((p) => describeProblem(p, p.path.replace(/^(columns\[\d+\])\.type$/, '$1.dataType')));
    const parallelism = parallelismProblem(options.parallelism);
    if (parallelism) problems.push(parallelism);
    if (problems.length > 0) {
      throw new Error(`Sink.postgresTable(): ${problems.join('; ')}`);
    }
  }

  public bind(_scope: Construct, _options: SinkBindOptions): SinkConfig {
    return { kind: this.config.kind, json: JSON.stringify(this.config), usesDatabase: true };
  }
}

/** A sink kind defined in its own module (./sink-binding.ts). */
class DelegatingSink extends Sink {
  constructor(private readonly binding: SinkBinding) {
    super();
  }

  public bind(scope: Construct, options: SinkBindOptions): SinkConfig {
    return this.binding.bind(scope, options);
  }

  public grantProcessor(scope: Construct, processor: SinkProcessorAccess): void {
    this.binding.grantProcessor?.(scope, processor);
  }
}
