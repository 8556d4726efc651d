/**
 * The role and tracing of the pipeline's own Lambda functions (the
 * processor, the migration, the topic creation). No dependency on the
 * processors, so anything may use it without an import cycle.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from '../security/managed-policy-role';

/**
 * A role of our own for a function in the VPC, so Lambda's broad managed
 * policies are not attached; its statements go to one customer-managed
 * policy, not an inline one.
 *
 * @internal
 */
export function createFunctionRole(scope: Construct, id: string, description: string, logGroup: logs.ILogGroup): ManagedPolicyRole {
  const role = new ManagedPolicyRole(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'WriteOwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'ManageVpcNetworkInterfaces',
    // Lambda creates the function's ENIs as the function role; these EC2
    // actions support no resource-level permissions.
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  }));
  return role;
}

/**
 * Sets tracing on the resource, with the statement added to `role`: the
 * `tracing` prop would, under the @aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy
 * flag, put the X-Ray statement in an inline policy of its own.
 *
 * @internal
 */
export function setTracing(fn: lambda.Function, role: iam.IRole, tracing: lambda.Tracing): void {
  if (tracing === lambda.Tracing.DISABLED) return;
  (fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: tracing };
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'WriteXRayTraces',
    // X-Ray supports no resource-level permissions for these two actions.
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    resources: ['*'],
  }));
}
