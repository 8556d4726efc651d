/**
 * Run-time check of a table sink's configuration (PIPELINE_SINKS, the CLI's
 * --config and --table). The rules themselves live in src/shared/table-rules.ts,
 * which `Sink.postgresTable()` and `ColumnType` use at synth time, so both
 * sides always agree; this module only formats their verdict and quotes names.
 */
import { parallelismProblem, PostgresTableSinkConfig } from '../../shared/sink-config';
import { describeProblem, FILE_ID_COLUMN, tableSinkProblems } from '../../shared/table-rules';

export { FILE_ID_COLUMN };

/**
 * Transaction-local setting the `_file_id` column default reads, so COPY can
 * stamp every row without per-row work in JavaScript.
 */
export const FILE_ID_SETTING = 'cdk_data_pipeline.file_id';

/**
 * Every problem with the configuration, each naming the JSON path and the bad
 * value (`columns[3].type "public.citext" is schema-qualified: ...`); empty when valid.
 */
export function tableSinkConfigProblems(config: PostgresTableSinkConfig): string[] {
  const problems = tableSinkProblems(config).map((p) => describeProblem(p));
  const parallelism = parallelismProblem((config as { parallelism?: unknown } | undefined)?.parallelism);
  if (parallelism) problems.push(parallelism);
  return problems;
}

/** Throws an Error listing every problem (each naming the path and the bad value) when the configuration is invalid. */
export function validateTableSinkConfig(config: PostgresTableSinkConfig): void {
  const problems = tableSinkConfigProblems(config);
  if (problems.length > 0) {
    throw new Error(`Invalid postgresTable sink configuration: ${problems.join('; ')}`);
  }
}

/**
 * Double-quotes an identifier the validator accepted. Every name the loader
 * writes into SQL goes through here, so PostgreSQL keeps it exactly as
 * written (case included); see src/shared/table-rules.ts.
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."table"` of a validated configuration. */
export function qualifiedTableName(config: PostgresTableSinkConfig): string {
  return `${quoteIdent(config.schema)}.${quoteIdent(config.table)}`;
}
