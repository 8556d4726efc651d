export * from './cdk-pipeline';
export * from './network';
export * from './storage';
export * from './database';
export * from './monitoring';
export * from './processor';
export * from './trigger';
export * from './sink';
export { NagAcknowledgment } from './nag-acknowledgments';
