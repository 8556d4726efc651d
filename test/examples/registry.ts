import { App, Stack } from 'aws-cdk-lib';
import { BatchKafkaStack } from '../../examples/batch-kafka/stack';
import { BatchSpotStack } from '../../examples/batch-spot/stack';
import { ContainerLambdaBastionStack } from '../../examples/container-lambda-bastion/stack';
import { FargatePostgresStack } from '../../examples/fargate-postgres/stack';
import { LambdaMetadataStack } from '../../examples/lambda-metadata/stack';
import { LambdaTableStack } from '../../examples/lambda-table/stack';
import { ScheduledReportsStack } from '../../examples/scheduled-reports/stack';
import { CdkPipeline } from '../../src';

export interface ExampleStack extends Stack {
  readonly pipeline: CdkPipeline;
}

/** Every example app, built the way its main.ts builds it. */
export const EXAMPLES: Array<[string, (app: App, env?: { account: string; region: string }) => ExampleStack]> = [
  ['lambda-metadata', (app, env) => new LambdaMetadataStack(app, 'LambdaMetadataPipeline', { email: 'ops@example.com', env })],
  ['lambda-table', (app, env) => new LambdaTableStack(app, 'LambdaTablePipeline', { email: 'ops@example.com', env })],
  ['fargate-postgres', (app, env) => new FargatePostgresStack(app, 'FargatePostgresPipeline', { email: 'ops@example.com', env })],
  ['batch-spot', (app, env) => new BatchSpotStack(app, 'BatchSpotPipeline', { email: 'ops@example.com', env })],
  ['container-lambda-bastion', (app, env) => new ContainerLambdaBastionStack(app, 'ContainerLambdaBastionPipeline', { email: 'ops@example.com', env })],
  ['batch-kafka', (app, env) => new BatchKafkaStack(app, 'BatchKafkaPipeline', { email: 'ops@example.com', env })],
  ['scheduled-reports', (app, env) => new ScheduledReportsStack(app, 'ScheduledReportsPipeline', { email: 'ops@example.com', env })],
];
