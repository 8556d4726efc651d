import { FILE_ID_COLUMN, FILE_ID_SETTING, qualifiedTableName, quoteIdent, validateTableSinkConfig } from './validate-config';
import type { PostgresTableSinkConfig } from '../../shared/sink-config';

/**
 * Idempotent DDL that creates the target table. `_file_id` defaults to a
 * transaction-local setting the loader sets, so COPY stamps rows with the file
 * id inside PostgreSQL; outside a load the setting is absent and an insert that
 * forgets the id fails instead of writing orphan rows.
 *
 * There is deliberately no foreign key to file_metadata: it would fire a
 * per-row trigger during COPY and roughly halve load speed.
 */
export function tableMigrationSql(config: PostgresTableSinkConfig): string[] {
  validateTableSinkConfig(config);
  const table = qualifiedTableName(config);
  const columns = config.columns.map((c) => `  ${quoteIdent(c.name)} ${c.type.trim()}${c.nullable ? '' : ' NOT NULL'}`);
  columns.push(`  ${quoteIdent(FILE_ID_COLUMN)} bigint NOT NULL DEFAULT current_setting('${FILE_ID_SETTING}')::bigint`);
  const indexName = quoteIdent(`${config.table}${FILE_ID_COLUMN}_idx`.slice(0, 63));
  const statements: string[] = [];
  if (config.schema !== 'public') statements.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(config.schema)}`);
  // Loaded through several connections, each file is a partition of its own, attached in the
  // transaction that marks the file succeeded (parallel/partitions.ts). An existing table keeps its layout.
  // Such a table has no _file_id index: partition pruning finds a file's rows, and the index (one value
  // per partition) only cost COPY time, 20-38% in paired runs (bench/README.md).
  const partitioned = (config.parallelism ?? 1) > 1 ? ` PARTITION BY LIST (${quoteIdent(FILE_ID_COLUMN)})` : '';
  statements.push(`CREATE TABLE IF NOT EXISTS ${table} (\n${columns.join(',\n')}\n)${partitioned}`);
  // Not a bare CREATE INDEX IF NOT EXISTS: that takes a SHARE lock on the table before it looks for the
  // index, so every cold start would wait for the loads in flight, and new loads would queue behind it.
  const indexRef = `${quoteIdent(config.schema)}.${indexName}`.replace(/'/g, "''");
  if (!partitioned) {
    statements.push(`DO $cdp$ BEGIN IF to_regclass('${indexRef}') IS NULL THEN `
      + `CREATE INDEX IF NOT EXISTS ${indexName} ON ${table} (${quoteIdent(FILE_ID_COLUMN)}); END IF; END $cdp$`);
  }
  return statements;
}
