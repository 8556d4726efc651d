export * from './compliance-options';
