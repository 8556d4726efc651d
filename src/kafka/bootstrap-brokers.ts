import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeForPipeline } from './kafka-acknowledgments';
import { bootstrapBrokersField, KafkaAuthMechanism } from './kafka-auth';
import { NagAcknowledgment } from '../nag-acknowledgments';
import { ManagedPolicyRole } from '../security/managed-policy-role';

const ROLE_ID = 'CdkDataPipelineBootstrapBrokersRole';

/**
 * The comma-separated bootstrap brokers of an MSK cluster for one
 * mechanism, read at deploy time with `kafka:GetBootstrapBrokers` (the
 * cluster's CloudFormation resource does not return them). The result is a
 * token.
 *
 * aws-cdk-lib runs every AwsCustomResource of a stack in one singleton
 * function; its role is the stack's one `CdkDataPipelineBootstrapBrokersRole`
 * (a managed policy, no inline one), and each call adds only
 * `kafka:GetBootstrapBrokers` on its own cluster to whatever role the
 * singleton has.
 *
 * @internal
 */
export function bootstrapBrokers(scope: Construct, id: string, props: {
  readonly clusterArn: string;
  readonly mechanism: KafkaAuthMechanism;
  readonly encryptionKey: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
}): { brokers: string; resource: cr.AwsCustomResource } {
  const field = bootstrapBrokersField(props.mechanism);
  const provider = providerParts(scope, props.encryptionKey, props.removalPolicy);
  const call: cr.AwsSdkCall = {
    service: 'Kafka',
    action: 'getBootstrapBrokers',
    parameters: { ClusterArn: props.clusterArn },
    physicalResourceId: cr.PhysicalResourceId.of(`${id}-${field}`),
    outputPaths: [field],
  };
  const resource = new cr.AwsCustomResource(scope, id, {
    resourceType: 'Custom::KafkaBootstrapBrokers',
    onCreate: call,
    onUpdate: call,
    role: provider.role,
    logGroup: provider.logGroup,
    // The SDK bundled with the function has GetBootstrapBrokers; nothing is
    // downloaded at deploy time.
    installLatestAwsSdk: false,
    memorySize: 256,
  });
  resource.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kafka:GetBootstrapBrokers'],
    resources: [props.clusterArn],
  }));
  configureSingleton(scope, provider.role);
  return { brokers: resource.getResponseField(field), resource };
}

/** The singletons already configured and acknowledged. */
const CONFIGURED = new WeakSet<IConstruct>();

/**
 * Traces the singleton function when it runs with this module's role (which
 * then may write traces), and acknowledges, once per stack, the findings its
 * aws-cdk-lib-owned settings cause.
 */
function configureSingleton(owner: Construct, role: iam.IRole): void {
  const stack = Stack.of(owner);
  const singleton = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`) as lambda.Function | undefined;
  if (!singleton || CONFIGURED.has(singleton)) return;
  CONFIGURED.add(singleton);
  const fn = singleton.node.defaultChild as lambda.CfnFunction;
  if (singleton.role === role) {
    fn.tracingConfig = { mode: lambda.Tracing.ACTIVE };
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      // X-Ray supports no resource-level permissions for these two actions.
      actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      resources: ['*'],
    }));
  }
  const acks: NagAcknowledgment[] = [];
  const add = (id: string, reason: string, construct: IConstruct = fn) => acks.push({ construct, id, reason });
  if (singleton.role === role) {
    add('AwsSolutions-IAM5[Resource::*]', 'One statement of the bootstrap-broker lookup\'s policy: xray:PutTraceSegments/PutTelemetryRecords (active tracing), '
      + 'which X-Ray supports on no resource but *; kafka:GetBootstrapBrokers names each cluster.', (role as ManagedPolicyRole).policy!.node.defaultChild!);
  }
  const what = `${singleton.node.id} is aws-cdk-lib's AwsCustomResource singleton, which reads the MSK bootstrap brokers at deploy time`;
  add('AwsSolutions-L1', `${what}; aws-cdk-lib sets its runtime with the version of aws-cdk-lib the app uses, not this library.`);
  add('Serverless-LambdaLatestVersion', `${what}; aws-cdk-lib sets its runtime with the version of aws-cdk-lib the app uses, not this library.`);
  for (const p of ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321']) {
    add(`${p}-LambdaInsideVPC`, `${what}: it calls only the MSK control-plane API and CloudFormation's response URL, and reaches no resource in the VPC; `
      + 'in the VPC it would need a NAT gateway or a kafka interface endpoint, which a pipeline without NAT does not have.');
  }
  for (const p of ['HIPAA.Security', 'NIST.800.53.R5']) {
    add(`${p}-LambdaConcurrency`, `${what}; it runs once per deployment of a broker list, and reserving concurrency for it would take account capacity for nothing.`);
  }
  for (const p of ['HIPAA.Security', 'NIST.800.53.R5', 'Serverless']) {
    add(`${p}-LambdaDLQ`, `${what}; CloudFormation invokes it and waits for its answer: a failure fails the deployment, and a function DLQ would hold events nobody can replay.`);
  }
  acknowledgeForPipeline(owner, acks);
}

/** The stack's one role and log group of the AwsCustomResource singleton. */
function providerParts(scope: Construct, encryptionKey: kms.IKey, removalPolicy: RemovalPolicy): { role: iam.IRole; logGroup: logs.ILogGroup } {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(ROLE_ID) as ManagedPolicyRole | undefined;
  if (existing) return { role: existing, logGroup: existing.node.findChild('LogGroup') as logs.ILogGroup };
  const role = new ManagedPolicyRole(stack, ROLE_ID, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'aws-cdk-lib AwsCustomResource singleton: reads the bootstrap brokers of the pipeline\'s MSK clusters at deploy time',
  });
  const logGroup = new logs.LogGroup(role, 'LogGroup', {
    retention: logs.RetentionDays.ONE_YEAR,
    encryptionKey,
    removalPolicy,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'WriteOwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  return { role, logGroup };
}
