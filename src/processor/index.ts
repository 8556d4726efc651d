export * from './processor';
export * from './bound-processor-base';
export * from './queue-lambda-base';
export * from './lambda-processor';
export * from './lambda-container-processor';
export * from './container-processor-base';
export * from './fargate-processor';
export * from './batch-processor';
