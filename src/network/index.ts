export * from './pipeline-network';
export * from './pipeline-bastion';
