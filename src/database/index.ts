export * from './pipeline-database';
