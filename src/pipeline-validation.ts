import type { CdkPipelineProps } from './cdk-pipeline';
import { validateNoSuccessPeriod } from './monitoring/pipeline-alarms';
import { BastionPlacement } from './network/pipeline-bastion';

/**
 * Checks of `CdkPipelineProps` that no single part can make: props that
 * conflict with each other. Messages name the props to change.
 *
 * @internal
 */
export function validatePipelineProps(props: CdkPipelineProps): void {
  const bastionProps = (['bastionInstanceType', 'bastionPlacement', 'bastionSshCidr', 'bastionKeyPair'] as const).filter((k) => props[k] !== undefined);
  if (props.bastion === false && bastionProps.length > 0) {
    throw new Error(`${bastionProps.join(', ')} ${bastionProps.length > 1 ? 'are' : 'is'} set but bastion is false: remove one of them`);
  }
  if (props.bastionPlacement === BastionPlacement.PUBLIC && !props.singleVpc) {
    // The peering routes join the processing VPC's private subnets to the database subnets, not its public ones.
    throw new Error('bastionPlacement: BastionPlacement.PUBLIC needs singleVpc: true: with two peered VPCs a bastion in a public subnet '
      + 'has no route to the database; keep BastionPlacement.PRIVATE (Session Manager, or SSH from bastionSshCidr over a VPN), or set singleVpc');
  }
  const thresholds = (['durationAlarmThreshold', 'failedFilesAlarmThreshold', 'noSuccessAlarmPeriod'] as const).filter((k) => props[k] !== undefined);
  if (props.alarms === false && thresholds.length > 0) {
    throw new Error(`${thresholds.join(' and ')} configure alarms, but alarms is false: remove ${thresholds.length > 1 ? 'them' : 'it'}, or remove alarms`);
  }
  const failed = props.failedFilesAlarmThreshold;
  if (failed !== undefined && (!Number.isInteger(failed) || failed < 0)) {
    throw new Error(`failedFilesAlarmThreshold must be a whole number >= 0 (got ${failed})`);
  }
  validateNoSuccessPeriod(props.noSuccessAlarmPeriod);
}
