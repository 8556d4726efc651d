export * from './processor';
export * from './lambda-processor';
