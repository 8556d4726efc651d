export * from './kafka-auth';
export * from './kafka-cluster';
export * from './msk-cluster-base';
export * from './msk-provisioned-cluster';
export * from './msk-serverless-cluster';
