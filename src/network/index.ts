export * from './pipeline-network';
export * from './pipeline-bastion';
export * from './bastion-options';
