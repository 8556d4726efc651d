export * from './pipeline-database';
export * from './pipeline-database-options';
