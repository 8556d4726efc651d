export * from './pipeline-storage';
