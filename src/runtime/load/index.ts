export { createPostgresTableSink } from './sink';
export { tableMigrationSql } from './migration';
export {
  validateTableSinkConfig,
  tableSinkConfigProblems,
  qualifiedTableName,
  quoteIdent,
  FILE_ID_COLUMN,
  FILE_ID_SETTING,
} from './validate-config';
