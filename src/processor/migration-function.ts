import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createFunctionRole, setTracing } from './function-role';
import { checkEnvironmentSize } from './lambda-environment';
import { PROCESSOR_LAMBDA_ASSET, PROCESSOR_RUNTIME } from './lambda-processor';
import { ProcessorBindContext } from './processor';
import { SINKS_FILE_IN_LAYER, SinkConfigLayer } from './sink-config-layer';
import { ENV } from '../shared/env';

/**
 * The deploy-time migration of a container processor: a small zip Lambda
 * with the processor program (invoked without a payload it only brings the
 * schema up to date), in the processing VPC with the processor's security
 * group, allowed to read the database secret and write its own logs only.
 *
 * @internal
 */
export function createMigrationFunction(scope: Construct, context: ProcessorBindContext, securityGroup: ec2.ISecurityGroup): lambda.Function {
  const construct = new Construct(scope, 'Migration');
  const logGroup = new logs.LogGroup(construct, 'LogGroup', {
    retention: logs.RetentionDays.ONE_YEAR,
    encryptionKey: context.logEncryptionKey,
  });
  const role = createFunctionRole(construct, 'Role', 'Pipeline migration function (deploy time)', logGroup);
  const architecture = lambda.Architecture.ARM_64;
  // The sink tables are created too, so the function needs the sink configuration.
  // The migration only creates the table sinks' tables; the other sinks (Kafka brokers known only at deploy time) stay out.
  const tables = JSON.stringify((JSON.parse(context.sinksJson) as Array<{ kind: string }>).filter((s) => s.kind === 'postgresTable'));
  const layer = new SinkConfigLayer(construct, 'SinkConfig', { json: tables, runtime: PROCESSOR_RUNTIME, architecture }).layer;
  const fn = new lambda.Function(construct, 'Function', {
    description: 'cdk-data-pipeline migration: creates file_metadata and the sink tables at deploy time',
    runtime: PROCESSOR_RUNTIME,
    architecture,
    layers: [layer],
    handler: 'index.handler',
    code: lambda.Code.fromAsset(PROCESSOR_LAMBDA_ASSET),
    memorySize: 512,
    timeout: Duration.minutes(5),
    vpc: context.vpc,
    vpcSubnets: context.vpcSubnets,
    securityGroups: [securityGroup],
    role,
    logGroup,
    environment: {
      NODE_OPTIONS: '--enable-source-maps',
      ...context.environment,
      [ENV.SINKS_FILE]: SINKS_FILE_IN_LAYER,
    },
  });
  checkEnvironmentSize(fn);
  setTracing(fn, role, lambda.Tracing.ACTIVE);
  context.databaseSecret?.grantRead(role);
  return fn;
}
