export { KafkaAuth, KafkaAuthMechanism, KafkaTlsOptions } from './kafka-auth';
export { ExistingKafkaClusterOptions, KafkaCluster, KafkaClusterBindOptions, KafkaClusterConfig } from './kafka-cluster';
export { MskClusterBase, MskClusterPlacement } from './msk-cluster-base';
export { DEFAULT_MSK_KAFKA_VERSION, MskProvisionedCluster, MskProvisionedClusterOptions, MskProvisionedClusterProps } from './msk-provisioned-cluster';
export { MskServerlessCluster, MskServerlessClusterOptions, MskServerlessClusterProps } from './msk-serverless-cluster';
