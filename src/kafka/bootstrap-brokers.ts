import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { bootstrapBrokersField, KafkaAuthMechanism } from './kafka-auth';
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
  });
  resource.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kafka:GetBootstrapBrokers'],
    resources: [props.clusterArn],
  }));
  return { brokers: resource.getResponseField(field), resource };
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
