import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { PipelineNetwork } from './pipeline-network';

/**
 * Security groups may only reference a peer VPC's groups over an active
 * peering connection: every security-group rule under `scope` waits for it.
 * Call it once every rule exists.
 *
 * @internal
 */
export function rulesWaitForPeering(scope: IConstruct, network: PipelineNetwork): void {
  const peering = network.peeringDependables;
  if (peering.length === 0) return;
  scope.node.findAll().filter(isSecurityGroupRule).forEach((rule) => peering.forEach((d) => rule.node.addDependency(d)));
}

function isSecurityGroupRule(c: IConstruct): boolean {
  return c instanceof ec2.CfnSecurityGroupIngress || c instanceof ec2.CfnSecurityGroupEgress;
}
